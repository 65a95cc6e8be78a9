"""Uploads from the console: parsed from bytes, nothing kept from a rejected file, and held
for confirmation (with a diff of sections) when they would replace an issue on its way."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import SAMPLES
from editor_inputs import write_docx

from wxbot.archive import get_issue, ingest_bytes, list_revisions
from wxbot.issue_uploads import (
    UploadExpired,
    confirm_upload,
    discard_upload,
    receive_upload,
    section_diff,
)
from wxbot.model import Section
from wxbot.parsing import parse_file
from wxbot.publishing import publish_issue
from wxbot.runtime import Runtime
from wxbot.storage import issues as issue_store

ISSUE = "2026-06-13"
RAW = SAMPLES[0].read_bytes()
EDITED = RAW.replace("国家数据局 6 月 8 日".encode(), "国家数据局 6 月 9 日".encode())


def archived(runtime: Runtime) -> tuple[int, int]:
    """Return how many issues and how many revisions of the first sample are stored."""
    with runtime.db.begin() as conn:
        return issue_store.count_issues(conn), len(issue_store.list_revisions(conn, ISSUE))


@pytest.mark.parametrize(
    ("name", "raw", "said"),
    [
        ("notes.txt", "只有一行，不是简报".encode(), "notes.txt:1: "),
        ("empty.md", b"  \n", "empty.md:1: file is empty (no text)"),
        ("scan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "scan.doc:1: wxbot cannot read"),
        ("photo.png", b"\x89PNG\r\n", "photo.png:1: unsupported file type"),
        ("C:\\Users\\ed\\broken.pdf", b"%PDF-1.4 garbage", "broken.pdf:1: "),
    ],
)
def test_a_rejected_upload_says_why_and_stores_nothing(
    archive: Runtime, name: str, raw: bytes, said: str
) -> None:
    before = archived(archive)
    check = receive_upload(archive, raw, name, "ed")
    assert check.result is not None and check.result.status == "rejected"
    assert check.result.message.startswith(said), check.result.message
    assert "Users" not in check.result.message  # the editor's own path is not kept
    assert archived(archive) == before


@pytest.mark.parametrize("kind", ["txt", "docx"])
def test_an_upload_is_archived_from_its_bytes(runtime: Runtime, kind: str) -> None:
    raw = RAW if kind == "txt" else write_docx(parse_file(SAMPLES[0]))
    first = ingest_bytes(runtime, raw, f"{ISSUE}.{kind}")
    again = ingest_bytes(runtime, raw, f"{ISSUE}.{kind}")
    assert (first.status, again.status) == ("added", "unchanged")
    assert get_issue(runtime, ISSUE).source.name == f"{ISSUE}.{kind}"


def test_an_issue_not_yet_on_wechat_is_replaced_at_once(archive: Runtime) -> None:
    check = receive_upload(archive, EDITED, f"{ISSUE}.txt", "ed")
    assert not check.needs_confirmation
    assert check.result is not None and check.result.status == "replaced"
    assert "6 月 9 日" in get_issue(archive, ISSUE).sections[0].paragraphs[0]


def test_replacing_a_drafted_issue_waits_for_confirmation(wechat_runtime: Runtime) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    check = receive_upload(wechat_runtime, EDITED, f"{ISSUE}.txt", "ed")
    assert check.needs_confirmation and check.result is None
    assert check.stages == ("drafted",)
    (change,) = check.changes
    assert change.kind == "changed" and change.heading.startswith("一、国家数据局")
    assert change.added[0].startswith("国家数据局 6 月 9 日") and change.added[0].endswith("…")
    assert change.removed[0].startswith("国家数据局 6 月 8 日")
    assert len(list_revisions(wechat_runtime, ISSUE)) == 1  # nothing replaced yet

    done = confirm_upload(wechat_runtime, check.token)
    assert done.result is not None and done.result.status == "replaced"
    assert len(list_revisions(wechat_runtime, ISSUE)) == 2
    with pytest.raises(UploadExpired, match="upload the file again"):
        confirm_upload(wechat_runtime, check.token)


def test_a_discarded_upload_cannot_be_confirmed(wechat_runtime: Runtime) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    check = receive_upload(wechat_runtime, EDITED, f"{ISSUE}.txt", "ed")
    discard_upload(wechat_runtime, check.token)
    with pytest.raises(UploadExpired):
        confirm_upload(wechat_runtime, check.token)
    assert len(list_revisions(wechat_runtime, ISSUE)) == 1


def test_the_same_file_again_is_unchanged_even_when_drafted(wechat_runtime: Runtime) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    check = receive_upload(wechat_runtime, RAW, f"{ISSUE}.txt", "ed")
    assert not check.needs_confirmation
    assert check.result is not None and check.result.status == "unchanged"


def test_the_diff_names_added_removed_and_changed_headings() -> None:
    old = parse_file(SAMPLES[0])
    first, second, *rest = old.sections
    new = dataclasses.replace(
        old,
        summary=old.summary + "\n补充一句。",
        sections=(
            Section(first.number, first.heading, (*first.paragraphs, "新增一段。")),
            *rest,
            Section("六", "新增的一节", ("第一段。",)),
        ),
    )
    changes = {(c.kind, c.heading): c for c in section_diff(old, new)}
    assert set(changes) == {
        ("changed", "摘要"),
        ("changed", first.title),
        ("added", "六、新增的一节"),
        ("removed", second.title),
    }
    assert changes[("changed", first.title)].added == ("新增一段。",)
    assert changes[("changed", first.title)].removed == ()
    assert changes[("added", "六、新增的一节")].added == ("第一段。",)
