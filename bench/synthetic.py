"""Make synthetic issues by recombining the samples' sections, for benchmarks.

Each issue is written in the newsletter's own text format (contents with page numbers,
blank lines, a reference list), so ingesting it exercises the real parser.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

from wxbot.model import CHINESE_NUMERALS, Issue, Reference, Section
from wxbot.parsing import parse_file
from wxbot.resources import sample_issues

START = dt.date(2016, 1, 1)


def _pools() -> tuple[list[Issue], list[Section], list[Reference]]:
    samples = [parse_file(p) for p in sample_issues()]
    sections = [s for i in samples for s in i.sections]
    references = [r for i in samples for r in i.references]
    return samples, sections, references


def synthetic_texts(
    count: int, seed: int = 7, sections_per_issue: int = 5
) -> Iterator[tuple[str, str]]:
    """Yield ``(issue_id, text)`` for ``count`` daily issues from 2016-01-01 on."""
    samples, sections, references = _pools()
    rng = random.Random(seed)
    for n in range(count):
        date = START + dt.timedelta(days=n)
        sample = samples[n % len(samples)]
        chosen = rng.sample(sections, sections_per_issue)
        refs = rng.sample(references, rng.randint(3, 8))
        yield date.isoformat(), _format(sample, date, chosen, refs)


def _format(sample: Issue, date: dt.date, sections: list[Section], refs: list[Reference]) -> str:
    out = ["", "", sample.series_title, ""]
    for line in sample.organisation_lines:
        out += [line, ""]
    out += [f"{date.year} 年 {date.month} 月 {date.day} 日", "", "摘要", "", sample.summary, ""]
    out += ["Contents", ""]
    headings = [f"{CHINESE_NUMERALS[i]}、{s.heading}" for i, s in enumerate(sections)]
    out += [f"{h}\t{i // 2 + 1}" for i, h in enumerate(headings)] + ["参考文献\t4", ""]
    for heading, section in zip(headings, sections, strict=True):
        out += [heading, ""]
        for paragraph in section.paragraphs:
            out += [paragraph, ""]
    out += ["参考文献", ""]
    out += [f"- {r.source} | {r.title} | {r.date} | {r.note}" for r in refs]
    out += ["", "", *(f.text for f in sample.footer)]
    return "\n".join(out) + "\n"


def write_synthetic(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Write ``count`` synthetic issue files into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for issue_id, text in synthetic_texts(count, seed):
        path = folder / f"{issue_id}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
