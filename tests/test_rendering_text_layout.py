"""CJK line breaking for covers: 禁则, Latin words kept whole, an ellipsis when text is cut."""

from __future__ import annotations

import pytest

from wxbot.rendering.text_layout import (
    NO_LINE_END,
    NO_LINE_START,
    clusters,
    fit_line,
    wrap,
)


def width(text: str) -> float:
    """Measure like a monospaced CJK font: full-width 2 units, ASCII 1."""
    return float(sum(1 if c.isascii() else 2 for c in text))


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("数据要素", ["数", "据", "要", "素"]),
        ("“数据”。", ["“数", "据”。"]),
        ("AI 资产，数据", ["AI", " ", "资", "产，", "数", "据"]),
        ("（5G）基站", ["（5G）", "基", "站"]),
        ("OpenAI、Anthropic", ["OpenAI、", "Anthropic"]),
        ("《方案》的通知", ["《方", "案》", "的", "通", "知"]),
    ],
)
def test_clusters_glue_punctuation_to_its_neighbour(text: str, pieces: list[str]) -> None:
    assert clusters(text) == pieces


@pytest.mark.parametrize(
    ("text", "line_width", "max_lines", "lines"),
    [
        ("国家数据局推动行业数据集建设", 12, 3, ("国家数据局推", "动行业数据集", "建设")),
        ("数据成为落地燃料，而是资本", 10, 3, ("数据成为落", "地燃料，而", "是资本")),
        ("数据成为落，燃料", 10, 3, ("数据成为", "落，燃料")),
        ("发布“人工智能”方案", 8, 3, ("发布“人", "工智能”", "方案")),
        ("发布了“人工智能”", 8, 3, ("发布了", "“人工智", "能”")),
        ("AI stock boom coincides", 12, 3, ("AI stock", "boom", "coincides")),
        ("全球资本重新定价 AI 资产", 40, 1, ("全球资本重新定价 AI 资产",)),
        ("国家数据局推动行业数据集建设", 12, 2, ("国家数据局推", "动行业数据…")),
        ("数据要素，赛道继续扩大", 10, 1, ("数据要素…",)),
        ("全球资本 Reuters reports", 16, 1, ("全球资本…",)),
        ("“数据要素”进入收官攻坚", 6, 1, ("“数…",)),
        ("数据，要素", 6, 1, ("数据…",)),
    ],
)
def test_wrap(text: str, line_width: int, max_lines: int, lines: tuple[str, ...]) -> None:
    wrapped = wrap(text, width, line_width, max_lines)
    assert wrapped.lines == lines
    assert wrapped.truncated is lines[-1].endswith("…")


SAMPLE_TEXTS = [
    "二、“数据要素 ×” 进入收官攻坚，417 个案例和 760 个场景指引显示场景牵引增强",
    "四、国家统计局“十四五”数据夯实硬底盘：高技术制造、5G 和数字经济支撑新质生产力",
    "Reuters | Talk of a bubble is 'blasphemy against AI' says SoftBank's Son",
    "关于印发《关于推进行业高质量数据集建设行动实施方案》的通知（2026-06-08）。",
]


@pytest.mark.parametrize("text", SAMPLE_TEXTS)
@pytest.mark.parametrize("line_width", [7, 12, 20, 31])
@pytest.mark.parametrize("max_lines", [1, 2, 4])
def test_lines_fit_and_obey_the_rules(text: str, line_width: int, max_lines: int) -> None:
    wrapped = wrap(text, width, line_width, max_lines)
    assert 1 <= len(wrapped.lines) <= max_lines
    for i, line in enumerate(wrapped.lines):
        assert width(line) <= line_width, line
        assert line == line.strip()
        if line != "…":
            assert line[0] not in NO_LINE_START or i == 0, f"line starts with {line[0]!r}"
            assert line[-1] not in NO_LINE_END, f"line ends with {line[-1]!r}"
    shown = "".join(wrapped.lines).replace(" ", "")
    if not wrapped.truncated:
        assert shown == text.replace(" ", "")
    else:
        assert text.replace(" ", "").startswith(shown.removesuffix("…"))


def test_fit_line_keeps_short_text_and_empties_blank() -> None:
    assert fit_line("新质生产力", width, 20) == "新质生产力"
    assert fit_line("  ", width, 20) == ""
