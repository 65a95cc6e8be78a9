"""The cover: one image for both of WeChat's crops, deterministic, CJK laid out without tofu."""

from __future__ import annotations

import dataclasses
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from wxbot import config as config_module
from wxbot.errors import ConfigError
from wxbot.model import Issue
from wxbot.parsing import parse_file
from wxbot.platform_limits import IMAGE_MATERIAL_MAX_BYTES
from wxbot.publishing.uploads import cover_crops
from wxbot.rendering.cover_images import (
    CoverLayout,
    cover_layout,
    draw,
    font_face,
    make_cover,
)
from wxbot.rendering.text_layout import NO_LINE_END, NO_LINE_START
from wxbot.resources import sample_issues

fontTools = pytest.importorskip("fontTools", reason="fonttools is a dev dependency")
from fontTools.ttLib import TTFont  # noqa: E402

SAMPLES = {p.stem: p for p in sample_issues()}
DEBIAN_NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def settings(**overrides: Any) -> dict[str, dict[str, Any]]:
    return config_module.load(environ={}, overrides=overrides)


def sample(issue_id: str = "2026-06-13") -> Issue:
    return parse_file(SAMPLES[issue_id])


def cmap(path: Path, index: int) -> set[int]:
    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        return set(font.getBestCmap())


def crop_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Return the two crops the draft sends, parsed back into pixels of the 940×500 cover."""
    boxes = {}
    for name, value in zip(("pic_crop_235_1", "pic_crop_1_1"), cover_crops(), strict=True):
        x1, y1, x2, y2 = (float(v) for v in value.split("_"))
        boxes[name] = (x1 * 940, y1 * 500, x2 * 940, y2 * 500)
    return boxes


def assert_well_laid_out(layout: CoverLayout) -> None:
    """Every run has its glyphs, lies in both crops, overlaps no other and obeys 禁则."""
    glyphs = cmap(layout.face.path, layout.face.index)
    assert layout.runs
    assert (layout.width, layout.height) == (940, 500)
    for run in layout.runs:
        missing = {c for c in run.text if not c.isspace() and ord(c) not in glyphs}
        assert not missing, f"tofu: {sorted(missing)} in {run.text!r}"
        left, top, right, bottom = run.box
        for name, (x1, y1, x2, y2) in crop_boxes().items():
            assert x1 <= left and right <= x2, f"cut sideways by {name}: {run}"
            assert y1 <= top and bottom <= y2, f"cut vertically by {name}: {run}"
        assert run.text == run.text.strip() and run.text
        assert run.text[0] not in NO_LINE_START or run.text == "…", run.text
        assert run.text[-1] not in NO_LINE_END, run.text
    for a, b in itertools.combinations(layout.runs, 2):
        apart = a.box[3] <= b.box[1] or b.box[3] <= a.box[1]
        assert apart or a.box[2] <= b.box[0] or b.box[2] <= a.box[0], f"{a.text} overlaps {b.text}"


@pytest.mark.parametrize("theme", ["blue", "neutral"])
@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_the_cover_is_one_jpeg_far_within_the_image_material_limit(
    issue_id: str, theme: str
) -> None:
    data = make_cover(sample(issue_id), settings(**{"render.theme": theme}))
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (940, 500) and image.mode == "RGB"
    assert len(data) <= IMAGE_MATERIAL_MAX_BYTES // 20  # sharp text, no quality given up


def test_the_crops_are_a_235_band_and_a_square_with_at_most_six_decimals() -> None:
    band, square = cover_crops()
    assert band == "0_0.1_1_0.9"  # 940×400: 2.35:1 to the pixel
    assert square == "0.234043_0_0.765957_1"  # the central 500×500
    for x1, y1, x2, y2 in crop_boxes().values():
        assert (x2 - x1) / (y2 - y1) == pytest.approx(2.35 if y1 else 1.0, abs=0.001)


def test_the_cover_is_deterministic_per_issue_and_theme() -> None:
    blue, neutral = settings(), settings(**{"render.theme": "neutral"})
    first = make_cover(sample("2026-06-13"), blue)

    assert make_cover(sample("2026-06-13"), blue) == first
    assert make_cover(sample("2026-06-13"), neutral) != first
    assert make_cover(sample("2026-06-25"), blue) != first


@pytest.mark.parametrize("crop", ["pic_crop_235_1", "pic_crop_1_1"])
def test_each_crop_shows_the_whole_headline_in_ink(crop: str) -> None:
    """Drawn with and without its text, the cover differs only inside each crop."""
    layout = cover_layout(sample(), settings())
    with_text = draw(layout)
    without = draw(dataclasses.replace(layout, runs=()))
    ink = ImageChops.difference(with_text, without).getbbox()
    assert ink is not None
    x1, y1, x2, y2 = crop_boxes()[crop]
    assert x1 <= ink[0] and ink[2] <= x2 and y1 <= ink[1] and ink[3] <= y2, (ink, crop)


@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_the_cover_shows_series_date_and_key_topics(issue_id: str) -> None:
    issue = sample(issue_id)
    layout = cover_layout(issue, settings())
    texts = [r.text for r in layout.runs]

    assert_well_laid_out(layout)
    assert texts[0] == "新质生产力每日动态"
    assert f"{issue.date.month}月{issue.date.day}日" in " ".join(texts)
    first_topic = issue.sections[0].heading.split("，")[0]
    assert any(t.startswith(first_topic[:6]) for t in texts), texts


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
    series: str, keywords: list[str]
) -> None:
    issue = dataclasses.replace(sample(), series_title=series)
    layout = cover_layout(issue, settings(**{"cover.keywords": keywords}))
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

    layout = cover_layout(sample(), config)
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
