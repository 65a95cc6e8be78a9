"""Measure ingest against the floor of reading the same files, for every kind of input.

    python bench/ingest.py [--count 3650] [--kinds 20] [--printed 6]

1. Archive throughput: synthetic text issues ingested into a fresh archive, against reading
   and hashing the same files. Target: >= 200 issues/s on a 2-core machine.
2. Each input kind editors' tools make (bench/editor_inputs.py) from the samples and from
   recombined issues: how many parse to exactly the Issue of the clean text, issues/s, and
   the ratio to reading the same files.
3. A six-page issue PDF from each producer: seconds to ingest. Target: < 1 s.
4. pypdf's layout mode against pdfplumber on the same PDFs: identical issues and time.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from editor_inputs import (  # noqa: E402
    CHROMIUM,
    PAGE_FOOTERS,
    article_html,
    hard_wrapped,
    noto_truetype,
    paginated,
    print_with_chromium,
    typeset_with_fpdf,
    without_blank_lines,
    write_docx,
)
from synthetic import synthetic_texts, write_synthetic  # noqa: E402

from wxbot.archive import ingest_paths  # noqa: E402
from wxbot.errors import IssueFormatError  # noqa: E402
from wxbot.model import Issue  # noqa: E402
from wxbot.parsing import parse_bytes, parse_file  # noqa: E402
from wxbot.parsing.newsletter_text import parse_text  # noqa: E402
from wxbot.parsing.pdf_source import extract_pages  # noqa: E402
from wxbot.resources import sample_issues  # noqa: E402
from wxbot.runtime import load_runtime  # noqa: E402

#: Ideographs Noto Sans CJK SC draws with one glyph (a PDF's text layer says 戶 for 户).
GLYPH_TWINS = str.maketrans({"戶": "户"})


def floor(paths: list[Path]) -> float:
    """Return the seconds it takes merely to read and hash every file."""
    start = time.perf_counter()
    for path in paths:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - start


def archive_throughput(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_synthetic(Path(tmp) / "issues", count)
        floor(paths)  # warm the page cache so both runs read from memory
        floor_s = min(floor(paths) for _ in range(3))
        runtime = load_runtime(instance_path=Path(tmp) / "instance")
        start = time.perf_counter()
        results = ingest_paths(runtime, paths)
        ingest_s = time.perf_counter() - start
        added = sum(r.status == "added" for r in results)
        start = time.perf_counter()
        again = ingest_paths(runtime, paths)
        reingest_s = time.perf_counter() - start
        unchanged = sum(r.status == "unchanged" for r in again)
    rate = count / ingest_s
    print(f"issues:            {count} ({added} added; re-ingest: {unchanged} unchanged)")
    print(f"floor (read+hash): {floor_s * 1000:.1f} ms  ({count / floor_s:,.0f} files/s)")
    print(f"ingest:            {ingest_s * 1000:.1f} ms  ({rate:,.0f} issues/s)")
    print(f"re-ingest:         {reingest_s * 1000:.1f} ms  ({count / reingest_s:,.0f} issues/s)")
    print(
        f"ratio ingest/floor: {ingest_s / floor_s:.1f}x   target >= 200 issues/s: "
        f"{'met' if rate >= 200 else 'MISSED'}"
    )


def same(a: Issue, b: Issue) -> bool:
    return repr(a.to_dict(with_source=False)).translate(GLYPH_TWINS) == repr(
        b.to_dict(with_source=False)
    ).translate(GLYPH_TWINS)


def input_kinds(font: Path, folder: Path) -> dict[str, tuple[str, Callable[[str, Issue], bytes]]]:
    """Return each input kind: its file suffix and how to make it from text and Issue."""
    kinds: dict[str, tuple[str, Callable[[str, Issue], bytes]]] = {
        "text, clean": (".txt", lambda t, i: t.encode()),
        "text, no blank lines": (".txt", lambda t, i: without_blank_lines(t).encode()),
        "text, UTF-16": (".txt", lambda t, i: t.encode("utf-16")),
        "text, GB18030": (".txt", lambda t, i: t.encode("gb18030")),
    }
    for w in (32, 38, 45):
        kinds[f"wrapped {w}, blank lines"] = (
            ".txt",
            lambda t, i, w=w: hard_wrapped(t, w, blank_lines=True).encode(),
        )
        kinds[f"wrapped {w}, no blank lines, indents"] = (
            ".txt",
            lambda t, i, w=w: hard_wrapped(t, w, blank_lines=False, indent=True).encode(),
        )
        kinds[f"wrapped {w}, no blank lines, no indents"] = (
            ".txt",
            lambda t, i, w=w: hard_wrapped(t, w, blank_lines=False).encode(),
        )
        kinds[f"wrapped {w}, pages"] = (
            ".txt",
            lambda t, i, w=w: paginated(
                hard_wrapped(t, w, blank_lines=True), range(37, 400, 41), footer=PAGE_FOOTERS[w % 4]
            ).encode(),
        )
    kinds["PDF, fpdf2"] = (".pdf", lambda t, i: typeset_with_fpdf(i, font))
    if CHROMIUM.exists():
        kinds["PDF, Chromium"] = (
            ".pdf",
            lambda t, i: print_with_chromium(article_html(i), folder / "chromium"),
        )
    kinds["Word .docx"] = (".docx", lambda t, i: write_docx(i))
    kinds["Word .docx, style-numbered"] = (
        ".docx",
        lambda t, i: write_docx(i, numbers_in_headings=False),
    )
    return kinds


def kinds_table(texts: list[tuple[str, str]], printed: int, folder: Path) -> dict[str, list[bytes]]:
    font = noto_truetype(folder / "font", [t for _, t in texts])
    print(f"\n{'input kind':<40} {'identical':>10} {'issues/s':>9} {'x read':>7}")
    made_pdfs: dict[str, list[bytes]] = {}
    for kind, (suffix, make) in input_kinds(font, folder).items():
        chosen = texts[:printed] if kind.startswith("PDF, Chromium") else texts
        paths = []
        cleans = []
        for n, (issue_id, text) in enumerate(chosen):
            clean = parse_bytes(text.encode(), "clean.txt")
            raw = make(text, clean)
            path = folder / kind.replace(" ", "_").replace(",", "") / f"{n:04d}-{issue_id}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw)
            paths.append(path)
            cleans.append(clean)
            if suffix == ".pdf":
                made_pdfs.setdefault(kind, []).append(raw)
        floor(paths)
        floor_s = min(floor(paths) for _ in range(3))
        identical = 0
        start = time.perf_counter()
        for path, clean in zip(paths, cleans, strict=True):
            try:
                identical += same(parse_file(path), clean)
            except IssueFormatError:
                pass
        parse_s = time.perf_counter() - start
        print(
            f"{kind:<40} {identical:>4} / {len(paths):<4} {len(paths) / parse_s:>9,.1f}"
            f" {parse_s / floor_s:>6,.0f}x"
        )
    return made_pdfs


def six_page_pdfs(folder: Path) -> None:
    _, text = next(synthetic_texts(1, seed=3, sections_per_issue=10))
    issue = parse_bytes(text.encode(), "clean.txt")
    font = noto_truetype(folder / "font6", [text])
    producers: dict[str, Callable[[float], bytes]] = {
        "fpdf2": lambda pt: typeset_with_fpdf(issue, font, font_pt=pt)
    }
    if CHROMIUM.exists():
        producers["Chromium"] = lambda pt: print_with_chromium(
            article_html(issue, font_pt=pt), folder / "chromium6"
        )
    print()
    for producer, make in producers.items():
        pt = 11.0
        while len(extract_pages(raw := make(pt), "six.pdf")) < 6:
            pt += 0.5  # the same issue set larger, until it takes six pages
        path = folder / f"six-{producer}.pdf"
        path.write_bytes(raw)
        parse_file(path)  # warm imports and caches
        start = time.perf_counter()
        parsed = parse_file(path)
        seconds = time.perf_counter() - start
        verdict = "met" if seconds < 1 else "MISSED"
        print(
            f"six-page PDF ({producer}, {pt:g} pt): {seconds:.2f} s to ingest, identical: "
            f"{same(parsed, issue)}   target < 1 s: {verdict}"
        )


def pdfplumber_text(raw: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        return "\f".join(page.extract_text(layout=True) or "" for page in pdf.pages)


def compare_extractors(made: dict[str, list[bytes]], texts: list[tuple[str, str]]) -> None:
    print(f"\n{'extractor on':<24} {'identical':>10} {'s/PDF':>7}")
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    for kind, pdfs in made.items():
        cleans = [parse_bytes(t.encode(), "clean.txt") for _, t in texts[: len(pdfs)]]
        for name, extract in (
            ("pypdf layout", lambda raw: "\f".join(extract_pages(raw, "x.pdf"))),
            ("pdfplumber layout", pdfplumber_text),
        ):
            identical = 0
            start = time.perf_counter()
            for raw, clean in zip(pdfs, cleans, strict=True):
                try:
                    parsed = parse_text(extract(raw), "x.pdf", fmt="pdf", raw=raw)
                    identical += same(parsed, clean)
                except IssueFormatError:
                    pass
            seconds = (time.perf_counter() - start) / len(pdfs)
            label = f"{name}, {kind.split(', ')[1]}"
            print(f"{label:<24} {identical:>4} / {len(pdfs):<4} {seconds:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3650, help="archive issues (default 3650)")
    parser.add_argument("--kinds", type=int, default=20, help="recombined issues per kind")
    parser.add_argument("--printed", type=int, default=6, help="issues Chromium prints")
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    archive_throughput(args.count)
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sample_issues()]
    texts += list(synthetic_texts(args.kinds))
    with tempfile.TemporaryDirectory() as tmp:
        made = kinds_table(texts, args.printed, Path(tmp))
        six_page_pdfs(Path(tmp))
        compare_extractors(made, texts)


if __name__ == "__main__":
    main()
