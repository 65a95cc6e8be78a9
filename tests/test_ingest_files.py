"""Which files ingest takes from a folder, and what it says about Word files it cannot read."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import SAMPLES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from editor_inputs import write_docx  # noqa: E402

from wxbot.archive import find_issue_files, ingest_paths  # noqa: E402
from wxbot.parsing import parse_file  # noqa: E402
from wxbot.runtime import Runtime  # noqa: E402

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the header of Word 97-2003 and WPS files


def test_a_folder_yields_word_files_and_skips_word_lock_files(tmp_path: Path) -> None:
    for name in ("a.txt", "b.docx", "c.doc", "d.wps", "~$b.docx", "e.png"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in find_issue_files([tmp_path])] == ["a.txt", "b.docx", "c.doc", "d.wps"]


def test_a_docx_in_a_folder_is_ingested_and_a_doc_refused_with_what_to_do(
    runtime: Runtime, tmp_path: Path
) -> None:
    (tmp_path / "2026-06-13.docx").write_bytes(write_docx(parse_file(SAMPLES[0])))
    (tmp_path / "old.doc").write_bytes(OLE2 + b"\x00" * 504)
    (tmp_path / "draft.wps").write_bytes(OLE2 + b"\x00" * 504)
    results = {r.path.name: r for r in ingest_paths(runtime, [tmp_path])}
    assert results["2026-06-13.docx"].status == "added"
    assert results["2026-06-13.docx"].issue_id == "2026-06-13"
    for name in ("old.doc", "draft.wps"):
        assert results[name].status == "rejected"
        assert results[name].message.startswith(f"{tmp_path / name}:1: wxbot cannot read")
        assert results[name].message.endswith("save as .docx or PDF")
