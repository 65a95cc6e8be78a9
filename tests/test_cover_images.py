"""Cover images: sizes and bytes WeChat takes, deterministic, CJK laid out without tofu."""

from __future__ import annotations

import dataclasses
import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from wxbot import config as config_module
from wxbot.errors import ConfigError
from wxbot.model import Issue
from wxbot.parsing import parse_file
from wxbot.platform_limits import THUMB_MAX_BYTES
from wxbot.rendering.cover_images import (
    CoverLayout,
    cover_layout,
    font_face,
    make_cover,
    make_thumb,
    thumb_layout,
)
from wxbot.rendering.text_layout import NO_LINE_END, NO_LINE_START
from wxbot.resources import sample_issues

fontTools = pytest.importorskip("fontTools", reason="fonttools is a dev dependency")
from fontTools.ttLib import TTFont  # noqa: E402

SAMPLES = {p.stem: p for p in sample_issues()}
LAYOUTS: dict[str, Callable[[Issue, Any], CoverLayout]] = {
    "cover": cover_layout,
    "thumb": thumb_layout,
}
DEBIAN_NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def settings(**overrides: Any) -> dict[str, dict[str, Any]]:
    return config_module.load(environ={}, overrides=overrides)


def sample(issue_id: str = "2026-06-13") -> Issue:
    return parse_file(SAMPLES[issue_id])


def cmap(path: Path, index: int) -> set[int]:
    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        return set(font.getBestCmap())


def assert_well_laid_out(layout: CoverLayout) -> None:
    """Every run has its glyphs, sits inside the canvas, overlaps no other and obeys 禁则."""
    glyphs = cmap(layout.face.path, layout.face.index)
    assert layout.runs
    for run in layout.runs:
        missing = {c for c in run.text if not c.isspace() and ord(c) not in glyphs}
        assert not missing, f"tofu: {sorted(missing)} in {run.text!r}"
        left, top, right, bottom = run.box
        assert 0 <= left and right <= layout.width, f"overflows sideways: {run}"
        assert 0 <= top and bottom <= layout.height, f"overflows vertically: {run}"
        assert run.text == run.text.strip() and run.text
        assert run.text[0] not in NO_LINE_START or run.text == "…", run.text
        assert run.text[-1] not in NO_LINE_END, run.text
    for a, b in itertools.combinations(layout.runs, 2):
        apart = a.box[3] <= b.box[1] or b.box[3] <= a.box[1]
        assert apart or a.box[2] <= b.box[0] or b.box[2] <= a.box[0], f"{a.text} overlaps {b.text}"


@pytest.mark.parametrize("theme", ["blue", "neutral"])
@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
@pytest.mark.parametrize(
    ("make", "size"), [(make_cover, (900, 383)), (make_thumb, (500, 500))], ids=["cover", "thumb"]
)
def test_covers_are_jpegs_of_the_right_size_within_the_thumb_limit(
    make: Callable[..., bytes], size: tuple[int, int], issue_id: str, theme: str
) -> None:
    data = make(sample(issue_id), settings(**{"render.theme": theme}))
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == size and image.mode == "RGB"
    assert len(data) <= THUMB_MAX_BYTES


@pytest.mark.parametrize("make", [make_cover, make_thumb], ids=["cover", "thumb"])
def test_covers_are_deterministic_per_issue_and_theme(make: Callable[..., bytes]) -> None:
    blue, neutral = settings(), settings(**{"render.theme": "neutral"})
    first = make(sample("2026-06-13"), blue)

    assert make(sample("2026-06-13"), blue) == first
    assert make(sample("2026-06-13"), neutral) != first
    assert make(sample("2026-06-25"), blue) != first


@pytest.mark.parametrize("kind", sorted(LAYOUTS))
@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_covers_show_series_date_and_key_topics(kind: str, issue_id: str) -> None:
    issue = sample(issue_id)
    layout = LAYOUTS[kind](issue, settings())
    texts = [r.text for r in layout.runs]

    assert_well_laid_out(layout)
    assert texts[0] == "新质生产力每日动态"
    assert f"{issue.date.month}月{issue.date.day}日" in " ".join(texts)
    first_topic = issue.sections[0].heading.split("，")[0]
    assert any(t.startswith(first_topic[:6]) for t in texts), texts


@pytest.mark.parametrize("kind", sorted(LAYOUTS))
@pytest.mark.parametrize(
    ("series", "keywords"),
    [
        (
            "新质生产力每日动态",
            ["工业智能算网平台上线“数据要素×”专题，覆盖制造、能源、交通、金融"] * 3,
        ),
        ("新质生产力每日动态·特别版·中国高技术产业发展促进会新质生产力工作委员会", ["短"]),
        ("新质生产力每日动态", ["🚀 火箭发射😀", "Ω≈∑ 数学符号 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ＡＩ（全角）"]),
        (
            "Daily brief",
            ["OpenAI files for a US IPO as Anthropic follows; markets price AI assets"],
        ),
    ],
)
def test_long_or_exotic_text_is_wrapped_cut_or_left_out_never_overflowing(
    kind: str, series: str, keywords: list[str]
) -> None:
    issue = dataclasses.replace(sample(), series_title=series)
    layout = LAYOUTS[kind](issue, settings(**{"cover.keywords": keywords}))
    assert_well_laid_out(layout)
    drawn = "".join(r.text for r in layout.runs)
    assert "🚀" not in drawn and "😀" not in drawn
    if len(keywords[0]) > 30:
        assert any(r.text.endswith("…") for r in layout.runs)


def test_characters_missing_from_a_configured_font_are_left_out(tmp_path: Path) -> None:
    from fontTools import subset

    bundled = font_face(settings())
    small = tmp_path / "subset.otf"
    with TTFont(str(bundled.path), fontNumber=bundled.index) as font:
        subsetter = subset.Subsetter(subset.Options(notdef_outline=True, name_IDs=["*"]))
        subsetter.populate(text="新质生产力每日动态0123456789.·年月日星期一二三四五六 国家数据")
        subsetter.subset(font)
        font.save(str(small))
    config = settings(**{"cover.font_path": str(small)})

    for make_layout in LAYOUTS.values():
        layout = make_layout(sample(), config)
        assert layout.face.path == small
        assert_well_laid_out(layout)
        assert "国家数据" in "".join(r.text for r in layout.runs)
    assert make_cover(sample(), config) != make_cover(sample(), settings())


@pytest.mark.skipif(not DEBIAN_NOTO.exists(), reason="Debian's fonts-noto-cjk is not installed")
def test_font_path_picks_the_simplified_chinese_member_of_a_collection() -> None:
    config = settings(**{"cover.font_path": str(DEBIAN_NOTO)})
    layout = cover_layout(sample(), config)
    with TTFont(str(DEBIAN_NOTO), fontNumber=layout.face.index, lazy=True) as font:
        assert font["name"].getDebugName(1).endswith(" SC")
    assert_well_laid_out(layout)


def test_a_missing_font_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cover.font_path: .*nope.ttf does not exist"):
        make_cover(sample(), settings(**{"cover.font_path": str(tmp_path / "nope.ttf")}))
