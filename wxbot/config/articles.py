"""The ``[publish]``, ``[brand]``, ``[render]`` and ``[cover]`` sections: what articles carry."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    field_validator,
)

from .fields import Colour, Section, url_check


class PublishSection(Section):
    """``[publish]``: what every article carries and how publishing waits."""

    timezone: str = Field("Asia/Shanghai", description="Timezone for dates and schedules.")
    author: str = Field("新质生产力工委", description="Article author (at most 16 characters).")
    content_source_url: str = Field("", description="URL behind 阅读原文; empty = none.")
    preview_openids: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="Editors' openids that receive a preview before a send."
    )
    wait_timeout: float = Field(
        120.0,
        ge=0,
        description="Seconds `wxbot publish --mode publish` waits for WeChat's result before "
        "leaving it to PUBLISHJOBFINISH and `wxbot sync`.",
    )
    poll_interval: float = Field(
        2.0,
        ge=0,
        description="Seconds between looks at a submitted publish while waiting for its result.",
    )
    send_ignore_reprint: Literal[0, 1] = Field(
        0,
        description="What a mass send does when WeChat's originality check judges an article "
        "a reprint of another account's original: 0 = stop the send (WeChat reports "
        "err(30003)); 1 = send it anyway, as a reprint in the original's layout with its "
        "source shown, if the original allows reprints (if not, it stops either way).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {name!r}") from None
        return name

    @field_validator("author")
    @classmethod
    def _short_author(cls, author: str) -> str:
        if len(author) > 16:
            raise ValueError("WeChat allows at most 16 characters")
        return author

    _source_url = field_validator("content_source_url")(url_check)

    @property
    def tz(self) -> ZoneInfo:
        """Return the publishing timezone."""
        return ZoneInfo(self.timezone)


class QrCode(Section):
    """One QR code of the article footer: an image and the caption under it."""

    image: str = Field(min_length=1)
    caption: str


class BrandSection(Section):
    """``[brand]``: the newsletter's name, publishers, colours and footer."""

    series_name: str = Field("新质生产力每日动态", description="The newsletter's name.")
    organisation_lines: list[str] = Field(
        ["中国高技术产业发展促进会新质生产力工作委员会", "博雅云创 & 中科创新驱动"],
        description="Lines naming the publishers, printed under the series name.",
    )
    footer_text: str = Field(
        "本报告仅供行业研究参考，不构成投资建议",
        description="Text printed at the foot of every article when the issue has no disclaimer.",
    )
    qr_codes: list[QrCode] = Field(
        [
            QrCode(image="brand/qr-account.png", caption="新质生产力工作委员会官方公众号"),
            QrCode(image="brand/qr-website.png", caption="工业智能算网 gyznsw.cn"),
        ],
        description="QR-code images in the footer: list of {image, caption}; image paths are "
        "relative to the assets folder or absolute.",
    )
    primary_color: Colour = Field(
        "#1F4E9D", description="Main colour of headings and the cover, as #RRGGBB."
    )
    accent_color: Colour = Field(
        "#E8F0FB", description="Background of the summary box, as #RRGGBB."
    )


class RenderSection(Section):
    """``[render]``: how articles look."""

    theme: str = Field(
        "blue", min_length=1, description="Article theme: a CSS file name in templates/themes/."
    )


class CoverSection(Section):
    """``[cover]``: what the cover images are drawn with."""

    font_path: str = Field(
        "",
        description="Font file for cover images; empty = the Noto Sans CJK font installed "
        "with wxbot.",
    )
    keywords: list[str] = Field(
        [], description="Topics to print on covers instead of the issue's first section headings."
    )
