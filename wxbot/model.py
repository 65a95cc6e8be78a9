"""The newsletter issue as plain data: what every parser produces and every consumer reads."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

#: Chinese ordinal numerals used for section numbers (一、二、…).
CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the issue's table of contents (page numbers dropped)."""

    title: str


@dataclass(frozen=True)
class Section:
    """A numbered section: 一、heading, then paragraphs."""

    number: str
    heading: str
    paragraphs: tuple[str, ...]

    @property
    def title(self) -> str:
        """Return the heading with its number, as printed in the issue."""
        return f"{self.number}、{self.heading}" if self.number else self.heading


@dataclass(frozen=True)
class Reference:
    """One 参考文献 entry: source | title | date | note."""

    source: str
    title: str
    date: str = ""
    note: str = ""


@dataclass(frozen=True)
class FooterBlock:
    """A block after the references: a QR caption, contact, website or disclaimer."""

    kind: str  # "qr_caption" | "contact" | "website" | "disclaimer" | "text"
    text: str


@dataclass(frozen=True)
class Source:
    """The verbatim input an issue was parsed from."""

    name: str
    format: str  # "text" | "markdown" | "pdf"
    text: str
    sha256: str

    @classmethod
    def of(cls, name: str, fmt: str, text: str, raw: bytes | None = None) -> Source:
        """Build a source record, hashing the raw bytes when given (else the text)."""
        digest = hashlib.sha256(raw if raw is not None else text.encode("utf-8")).hexdigest()
        return cls(name=name, format=fmt, text=text, sha256=digest)


@dataclass(frozen=True)
class IssueOverrides:
    """What an editor set for one issue in the console, kept across re-ingest; empty = not set."""

    title: str = ""
    digest: str = ""
    author: str = ""
    headline: str = ""  # the cover's big line, in place of the series name
    keywords: tuple[str, ...] = ()  # the key topics, in place of the section headings

    def __bool__(self) -> bool:
        return any((self.title, self.digest, self.author, self.headline, self.keywords))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IssueOverrides:
        """Rebuild overrides from their JSON form (keywords as a list)."""
        return cls(**{**data, "keywords": tuple(data.get("keywords", ()))})


@dataclass(frozen=True)
class Issue:
    """One issue of the daily newsletter."""

    id: str  # the issue's date, YYYY-MM-DD
    date: dt.date
    series_title: str
    organisation_lines: tuple[str, ...]
    summary: str
    contents: tuple[ContentsEntry, ...]
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]
    footer: tuple[FooterBlock, ...]
    source: Source = field(repr=False)
    #: The issue's own article title, when its source gives one (Markdown ``title:``);
    #: otherwise the title is made from the series name, the date and the first topic.
    title: str = ""
    #: What editors set in the console; stored apart from the parsed issue, so a re-ingest
    #: keeps it.
    overrides: IssueOverrides = field(default_factory=IssueOverrides)

    @property
    def paragraphs(self) -> list[str]:
        """Return every body paragraph, in order."""
        return [p for s in self.sections for p in s.paragraphs]

    def to_dict(self, *, with_source: bool = True) -> dict[str, Any]:
        """Return the issue as JSON-ready data."""
        data = asdict(self)
        data["date"] = self.date.isoformat()
        data["overrides"]["keywords"] = list(self.overrides.keywords)
        if not with_source:
            data.pop("source")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        """Rebuild an issue from :meth:`to_dict` output."""
        return cls(
            id=data["id"],
            date=dt.date.fromisoformat(data["date"]),
            series_title=data["series_title"],
            organisation_lines=tuple(data["organisation_lines"]),
            summary=data["summary"],
            contents=tuple(ContentsEntry(**c) for c in data["contents"]),
            sections=tuple(
                Section(s["number"], s["heading"], tuple(s["paragraphs"])) for s in data["sections"]
            ),
            references=tuple(Reference(**r) for r in data["references"]),
            footer=tuple(FooterBlock(**f) for f in data["footer"]),
            source=Source(**data["source"]),
            title=data.get("title", ""),
            overrides=IssueOverrides.from_dict(data.get("overrides") or {}),
        )
