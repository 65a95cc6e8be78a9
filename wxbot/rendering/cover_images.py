"""An issue's cover: one JPEG designed for both of WeChat's crops of it.

A draft names one cover image (``thumb_media_id``) and two crops of it: ``pic_crop_235_1``
for the 2.35:1 card of the subscription list and ``pic_crop_1_1`` for the square share card
(https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html). So the cover is
a 940×500 composition whose full-width 940×400 band (:data:`BAND_BOX`) is a complete banner
and whose central 500×500 square (:data:`SQUARE_BOX`) is a complete square card: every line
of text lies in the 500×400 overlap of the two, the decoration around it.

The cover is planned first (:func:`cover_layout`: the text runs and where they go) and then
drawn, so tests can check the plan: every character is in the font, every run inside both
crops. Drawing is deterministic: the same issue and theme give the same bytes, which lets
uploads be deduplicated.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont

from ..config import Settings
from ..errors import ConfigError, WxbotError
from ..model import Issue
from ..platform_limits import COVER_RATIO, IMAGE_MATERIAL_MAX_BYTES, SQUARE_RATIO
from .text_layout import NO_LINE_END, wrap
from .themes import Theme, load_theme
from .titles import cover_headline, key_topics

logger = logging.getLogger(__name__)

#: The whole cover: wide enough for a 2.35:1 band, tall enough for a square.
COVER_SIZE = (940, 500)


def centred_box(size: tuple[int, int], ratio: float) -> tuple[int, int, int, int]:
    """Return the largest centred box of aspect ``ratio`` in an image of ``size``, in pixels."""
    width, height = size
    if width / height > ratio:  # too wide: trim the sides
        keep = round(height * ratio)
        return ((width - keep) // 2, 0, (width + keep) // 2, height)
    keep = round(width / ratio)
    return (0, (height - keep) // 2, width, (height + keep) // 2)


#: The 2.35:1 band the subscription list shows (``pic_crop_235_1``): 940×400.
BAND_BOX = centred_box(COVER_SIZE, COVER_RATIO)
#: The square the share card shows (``pic_crop_1_1``): 500×500.
SQUARE_BOX = centred_box(COVER_SIZE, SQUARE_RATIO)


def crop_fractions(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """Return ``box`` as WeChat's crop fractions of the cover: ``(x1, y1, x2, y2)``, 6 decimals.

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
    """
    width, height = COVER_SIZE
    left, top, right, bottom = box[0] / width, box[1] / height, box[2] / width, box[3] / height
    x1, y1, x2, y2 = (round(v, 6) for v in (left, top, right, bottom))
    return (x1, y1, x2, y2)


#: Where text may go: inside both crops.
TEXT_BOX = (SQUARE_BOX[0], BAND_BOX[1], SQUARE_BOX[2], BAND_BOX[3])

#: JPEG qualities tried in turn until the image fits the upload limit.
QUALITY_STEPS = (92, 88, 84, 80, 75, 70, 62, 55, 45, 35)

#: The bundled font: Noto Sans CJK (a variable collection), installed by pip.
BUNDLED_FONT_PACKAGE = "manimgx_fonts_cjk"
BUNDLED_FONT_FILE = "NotoSansCJK-VF.otf.ttc"

_WEEKDAYS = "一二三四五六日"

#: The cached fonts are shared FreeType faces, which are not safe to use from two threads
#: at once (the web service runs threads): measuring and drawing hold this lock.
_FONT_LOCK = threading.RLock()

#: Line advance as a multiple of the font size.
LINE_HEIGHT = 1.32


class CoverError(WxbotError):
    """A cover cannot be made within WeChat's limits."""


@dataclass(frozen=True)
class FontFace:
    """A font file and the member of the collection wxbot draws with."""

    path: Path
    index: int


@dataclass(frozen=True)
class TextRun:
    """One line of text on a cover, where it is drawn and the box its ink fills."""

    text: str
    x: int
    y: int
    size: int
    weight: str
    colour: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class CoverLayout:
    """What a cover shows: its size, colours, text runs and accent marks."""

    width: int
    height: int
    face: FontFace
    theme: Theme
    runs: tuple[TextRun, ...]
    marks: tuple[tuple[int, int, int, int], ...]  # accent rectangles (bars, bullets)


def make_cover(issue: Issue, settings: Settings) -> bytes:
    """Return the issue's 940×500 cover as JPEG bytes within the image material limit."""
    return encode_jpeg(draw(cover_layout(issue, settings)), IMAGE_MATERIAL_MAX_BYTES)


def font_face(settings: Settings) -> FontFace:
    """Return the cover font: ``[cover] font_path``, else the bundled Noto Sans CJK SC.

    :raises ConfigError: when the configured file is missing or not a font.
    """
    configured = settings.cover.font_path
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ConfigError(f"cover.font_path: {path} does not exist")
    else:
        path = Path(str(resources.files(BUNDLED_FONT_PACKAGE) / BUNDLED_FONT_FILE))
    return FontFace(path, _simplified_chinese_member(path))


@functools.cache
def _simplified_chinese_member(path: Path) -> int:
    """Pick the Simplified Chinese member of a collection (Noto's ``… CJK SC``), else the first."""
    for index in range(16):
        try:
            family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:
            if index == 0:
                raise ConfigError(f"cover.font_path: {path} is not a font Pillow reads") from None
            break
        if family.endswith(" SC"):
            return index
    return 0


@functools.cache
def load_font(face: FontFace, size: int, weight: str) -> ImageFont.FreeTypeFont:
    """Return the font at ``size`` in the named weight (ignored by non-variable fonts)."""
    font = ImageFont.truetype(
        str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.BASIC
    )
    try:
        font.set_variation_by_name(weight)
    except (OSError, ValueError):
        logger.debug("cover font %s has no %s instance; using its default", face.path, weight)
    return font


@functools.cache
def _glyph_image(face: FontFace, char: str) -> bytes:
    font = load_font(face, 24, "Regular")
    image = Image.new("L", (48, 48))
    ImageDraw.Draw(image).text((8, 4), char, font=font, fill=255)
    return image.tobytes()


def has_glyph(face: FontFace, char: str) -> bool:
    """Return whether the font draws ``char`` as itself rather than a missing-glyph box."""
    if char.isspace():
        return True
    return _glyph_image(face, char) != _glyph_image(face, "\U0010fffd")


def drawable(face: FontFace, text: str) -> str:
    """Return ``text`` without the characters the font lacks (emoji and the like): no tofu."""
    kept = "".join(c for c in text if has_glyph(face, c))
    if kept != text:
        logger.info("cover: left out characters the font lacks: %r", sorted(set(text) - set(kept)))
    return " ".join(kept.split())


class _Planner:
    """Place text runs top-down on a canvas, measuring with the cover font."""

    def __init__(self, face: FontFace, theme: Theme, size: tuple[int, int], margin: int) -> None:
        self.face, self.theme = face, theme
        self.width, self.height = size  # of the text box: runs are placed from its top left
        self.margin = margin
        self.runs: list[TextRun] = []
        self.marks: list[tuple[int, int, int, int]] = []

    def room(self, y: int, size: int, lines: int = 1) -> bool:
        """Return whether ``lines`` lines at ``size`` fit between ``y`` and the bottom margin."""
        return y + round(lines * size * LINE_HEIGHT) <= self.height - self.margin

    def text(self, text: str, x: int, y: int, size: int, weight: str, colour: str) -> int:
        """Add one line; return the y below it."""
        font = load_font(self.face, size, weight)
        measure = ImageDraw.Draw(Image.new("L", (1, 1)))
        if text[:1] in NO_LINE_END:  # hang an opening quote so the ink lines up at x
            x -= math.floor(measure.textbbox((0, 0), text[0], font=font)[0]) - 1
        left, top, right, bottom = measure.textbbox((x, y), text, font=font)
        box = (math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom))
        self.runs.append(TextRun(text, x, y, size, weight, self.theme.colour(colour), box))
        return y + round(size * LINE_HEIGHT)

    def lines(
        self, text: str, x: int, y: int, size: int, weight: str, colour: str, max_lines: int
    ) -> int:
        """Add ``text`` wrapped to the right margin in at most ``max_lines`` lines that fit."""
        font = load_font(self.face, size, weight)
        width = self.width - self.margin - x
        while max_lines > 1 and not self.room(y, size, max_lines):
            max_lines -= 1
        wrapped = wrap(text, font.getlength, width, max_lines)
        if len(wrapped.lines) > 1 and not wrapped.truncated:  # balance: no lone last word
            while width > size:
                narrower = wrap(text, font.getlength, width - size, len(wrapped.lines))
                if narrower.truncated:
                    break
                wrapped, width = narrower, width - size
        for line in wrapped.lines:
            y = self.text(line, x, y, size, weight, colour)
        return y

    def fitting_size(self, text: str, sizes: Iterable[int], weight: str, x: int) -> int:
        """Return the first of ``sizes`` at which ``text`` fits on one line (else the last)."""
        size = 0
        for size in sizes:
            if load_font(self.face, size, weight).getlength(text) <= self.width - self.margin - x:
                break
        return size

    def centred(self, canvas: tuple[int, int], origin: tuple[int, int]) -> CoverLayout:
        """Return the plan on ``canvas``, its ink centred vertically in the box at ``origin``."""
        tops = [r.box[1] for r in self.runs] + [m[1] for m in self.marks]
        bottoms = [r.box[3] for r in self.runs] + [m[3] for m in self.marks]
        dy = max(0, (self.height - (max(bottoms) - min(tops))) // 2 - min(tops)) if tops else 0
        dx, dy = origin[0], origin[1] + dy
        runs = tuple(
            replace(
                r,
                x=r.x + dx,
                y=r.y + dy,
                box=(r.box[0] + dx, r.box[1] + dy, r.box[2] + dx, r.box[3] + dy),
            )  # fmt: skip
            for r in self.runs
        )
        marks = tuple((m[0] + dx, m[1] + dy, m[2] + dx, m[3] + dy) for m in self.marks)
        return CoverLayout(*canvas, self.face, self.theme, runs, marks)


def _cover_text(issue: Issue, settings: Settings, face: FontFace) -> tuple[str, str, list[str]]:
    """Return the series name, the dated line and the key topics, as the font can draw them."""
    series = drawable(face, cover_headline(issue, settings))
    topics = [t for t in (drawable(face, t) for t in key_topics(issue, settings)) if t]
    d = issue.date
    return series, f"{d.year}年{d.month}月{d.day}日 · 星期{_WEEKDAYS[d.weekday()]}", topics


def cover_layout(issue: Issue, settings: Settings) -> CoverLayout:
    """Plan the cover: series name, date, then up to two key topics, all in :data:`TEXT_BOX`."""
    with _FONT_LOCK:
        return _plan_cover(issue, settings)


def _plan_cover(issue: Issue, settings: Settings) -> CoverLayout:
    face, theme = font_face(settings), load_theme(settings)
    series, dated, topics = _cover_text(issue, settings, face)
    left, top, right, bottom = TEXT_BOX
    plan = _Planner(face, theme, (right - left, bottom - top), margin=32)
    x = plan.margin
    plan.marks.append((x, plan.margin, x + 44, plan.margin + 6))
    size = plan.fitting_size(series, (52, 46, 40, 36), "Bold", x)
    y = plan.lines(series, x, plan.margin + 14, size, "Bold", "cover-ink", max_lines=2)
    y = plan.lines(dated, x, y + 8, 24, "Regular", "cover-muted", max_lines=1) + 14
    for topic in topics[:2]:
        if not plan.room(y, 26):
            break
        plan.marks.append((x, y + 13, x + 8, y + 21))
        y = plan.lines(topic, x + 20, y, 26, "Medium", "cover-ink", max_lines=1) + 6
    return plan.centred(COVER_SIZE, (left, top))


def draw(layout: CoverLayout) -> Image.Image:
    """Draw a planned cover: the theme's gradient and pattern, marks, then the text."""
    theme = layout.theme
    size = (layout.width, layout.height)
    start = Image.new("RGB", size, theme.colour("cover-background"))
    end = Image.new("RGB", size, theme.colour("cover-background-end"))
    down = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    across = Image.linear_gradient("L").rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    ramp = ImageChops.add(down, across.resize(size, Image.Resampling.BILINEAR), scale=2)
    image = Image.composite(end, start, ramp)  # diagonal: top left → bottom right
    _draw_pattern(image, theme.colour("cover-pattern"))
    pen = ImageDraw.Draw(image)
    for mark in layout.marks:
        pen.rectangle(mark, fill=theme.colour("cover-accent"))
    with _FONT_LOCK:
        for run in layout.runs:
            font = load_font(layout.face, run.size, run.weight)
            pen.text((run.x, run.y), run.text, font=font, fill=run.colour)
    return image


def _draw_pattern(image: Image.Image, colour: str) -> None:
    """Add faint rings and dot grids beside the text: a quiet 'network' motif in both crops."""
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    rgb = ImageColor.getrgb(colour)[:3]
    cx, cy = BAND_BOX[2] - 40, BAND_BOX[1] + 30  # rings: the banner's top right
    for i, radius in enumerate((110, 170, 230, 290)):
        pen.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius),
            outline=(*rgb, 34 - 6 * i),
            width=2,
        )
    step = 22
    for row in range(6):  # dots: the square's top right, fading into the banner
        for col in range(6):
            x = SQUARE_BOX[2] - 28 - col * step
            y = 20 + row * step
            alpha = 80 - 10 * (row + col)
            if alpha > 0:
                pen.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(*rgb, alpha))
    for row in range(4):  # and the banner's bottom left, so neither side of it is bare
        for col in range(4):
            x = BAND_BOX[0] + 40 + col * step
            y = BAND_BOX[3] - 40 - row * step
            alpha = 60 - 12 * (row + col)
            if alpha > 0:
                pen.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(*rgb, alpha))
    image.paste(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))


def encode_jpeg(image: Image.Image, limit: int) -> bytes:
    """Return ``image`` as a baseline JPEG at the best quality step that fits ``limit`` bytes.

    :raises CoverError: when even the lowest quality is too large.
    """
    size = 0
    for quality in QUALITY_STEPS:
        buffer = io.BytesIO()
        subsampling = "4:4:4" if quality >= 84 else "4:2:0"  # sharp text while it is cheap
        image.save(buffer, "JPEG", quality=quality, optimize=True, subsampling=subsampling)
        size = buffer.tell()
        if size <= limit:
            return buffer.getvalue()
    raise CoverError(f"cover is {size} bytes at the lowest JPEG quality; the limit is {limit}")
