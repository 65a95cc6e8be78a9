"""The issue archive: ingest, re-ingest, revisions, and the archive commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SAMPLES, make_runtime

from wxbot.archive import get_issue, ingest_paths, list_issues, list_revisions
from wxbot.runtime import Runtime


def test_ingest_archives_both_samples(runtime: Runtime) -> None:
    results = ingest_paths(runtime, [SAMPLES[0].parent])
    assert sorted((r.status, r.issue_id) for r in results) == [
        ("added", "2026-06-13"),
        ("added", "2026-06-25"),
    ]
    assert [row.id for row in list_issues(runtime)] == ["2026-06-25", "2026-06-13"]
    issue = get_issue(runtime, "2026-06-13")
    assert issue.source.text == SAMPLES[0].read_text(encoding="utf-8")
    assert len(issue.sections) == 5


def test_reingesting_an_unchanged_file_is_a_no_op(archive: Runtime) -> None:
    before = list_issues(archive)
    results = ingest_paths(archive, SAMPLES)
    assert [r.status for r in results] == ["unchanged", "unchanged"]
    assert list_issues(archive) == before
    assert len(list_revisions(archive, "2026-06-13")) == 1


def test_a_changed_file_replaces_the_issue_and_keeps_the_old_source(
    archive: Runtime, tmp_path: Path
) -> None:
    edited = tmp_path / "2026-06-13-fixed.txt"
    original = SAMPLES[0].read_text(encoding="utf-8")
    edited.write_text(original.replace("约 75% 的美国人", "约 76% 的美国人"), encoding="utf-8")
    [result] = ingest_paths(archive, [edited])
    assert (result.status, result.issue_id) == ("replaced", "2026-06-13")
    assert "约 76%" in get_issue(archive, "2026-06-13").sections[4].paragraphs[0]
    revisions = list_revisions(archive, "2026-06-13")
    assert [r.revision for r in revisions] == [1, 2]
    assert revisions[0].source_name == str(SAMPLES[0])
    with archive.db.begin() as conn:
        from wxbot.storage.issues import issue_revisions

        texts = [r.source_text for r in conn.execute(issue_revisions.select())]
    assert original in texts  # nothing an editor gave is lost


def test_a_bad_file_is_rejected_and_the_rest_still_ingested(
    runtime: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for sample in SAMPLES:
        shutil.copy(sample, folder)
    (folder / "broken.txt").write_text(
        "新质生产力每日动态\n\n摘要\n\n没有日期。\n", encoding="utf-8"
    )
    (folder / "notes.jpg").write_bytes(b"\xff\xd8")  # not an issue type: not picked up
    results = ingest_paths(runtime, [folder])
    by_status = {r.path.name: (r.status, r.message) for r in results}
    assert by_status["2026-06-13.txt"][0] == "added"
    assert by_status["2026-06-25.txt"][0] == "added"
    status, message = by_status["broken.txt"]
    assert status == "rejected"
    assert message.startswith(f"{folder / 'broken.txt'}:3: no issue date")
    assert "notes.jpg" not in by_status


def test_same_date_twice_in_one_batch_keeps_both_sources(runtime: Runtime, tmp_path: Path) -> None:
    second = tmp_path / "again.txt"
    second.write_text(SAMPLES[0].read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    results = ingest_paths(runtime, [SAMPLES[0], second])
    assert [r.status for r in results] == ["added", "replaced"]
    assert [r.revision for r in list_revisions(runtime, "2026-06-13")] == [1, 2]


def test_ingest_command_prints_a_line_per_file_and_fails_on_rejects(
    run_cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "empty.md"
    bad.write_text("", encoding="utf-8")
    result = run_cli("ingest", str(SAMPLES[0]), str(SAMPLES[1]), str(bad))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(ln.startswith("added") and "2026-06-13" in ln for ln in lines)
    assert any(f"{bad}:1: file is empty" in ln for ln in lines)
    assert lines[-1] == "3 files: 2 added, 0 replaced, 0 unchanged, 1 rejected"
    again = run_cli("ingest", str(SAMPLES[0].parent))
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "2 files: 0 added, 0 replaced, 2 unchanged, 0 rejected"


def test_ingest_command_shows_progress_for_many_files(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = SAMPLES[1].read_text(encoding="utf-8")
    for day in range(1, 26):
        date = f"2026 年 7 月 {day} 日"
        (tmp_path / f"2026-07-{day:02}.txt").write_text(text.replace("2026 年 6 月 25 日", date))
    result = run_cli("ingest", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "ingesting" in result.output  # the progress bar (stderr, mixed in by CliRunner)
    assert result.output.count("added ") == 25


def test_issues_and_show_commands(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert "the archive is empty" in run_cli("issues").output
    assert run_cli("ingest", str(SAMPLES[0].parent)).exit_code == 0
    listing = run_cli("issues").output.splitlines()
    assert [ln.split()[0] for ln in listing] == ["2026-06-25", "2026-06-13"]
    shown = run_cli("show", "2026-06-25")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["id"] == "2026-06-25" and "source" not in data
    assert data["references"][4]["source"] == "Reuters"
    with_source = json.loads(run_cli("show", "2026-06-25", "--source").output)
    assert with_source["source"]["sha256"]
    missing = run_cli("show", "2030-01-01")
    assert missing.exit_code == 1
    assert "no issue '2030-01-01' in the archive" in missing.output


def test_the_database_is_created_on_first_use(app_config) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(app_config)
    assert {"issues", "issue_revisions"} <= set(runtime.db.table_names())
    make_runtime(app_config)  # a second start migrates nothing and fails nothing
