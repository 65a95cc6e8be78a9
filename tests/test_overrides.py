"""Per-issue overrides: checked against WeChat's limits, kept across re-ingest, applied
wherever the title, digest, author and cover text are made (preview and publishing alike)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES

from wxbot.archive import get_issue, ingest_paths
from wxbot.errors import IssueNotFound
from wxbot.model import IssueOverrides
from wxbot.overrides import OverrideRefused, clean, parse_keywords, set_overrides
from wxbot.platform_limits import FIELD_MAX_CHARS
from wxbot.publishing import publish_issue
from wxbot.rendering import render_issue
from wxbot.rendering.compliance import lint_article
from wxbot.rendering.cover_images import cover_layout
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer

ISSUE = "2026-06-13"

EDITED = IssueOverrides(
    title="数据集建设方案发布",
    digest="国家数据局发布行业高质量数据集方案。",
    author="编辑部",
    headline="数据要素周报",
    keywords=("行业数据集", "场景指引"),
)


def test_overrides_change_title_digest_author_and_cover(archive: Runtime) -> None:
    before = render_issue(get_issue(archive, ISSUE), archive.settings)
    set_overrides(archive, ISSUE, EDITED, "ed")
    issue = get_issue(archive, ISSUE)
    article = render_issue(issue, archive.settings)
    assert (article.title, article.digest, article.author) == (
        EDITED.title, EDITED.digest, EDITED.author,
    )  # fmt: skip
    assert before.title != article.title and before.author != article.author
    cover_text = [run.text for run in cover_layout(issue, archive.settings).runs]
    assert cover_text[0] == "数据要素周报"
    assert "行业数据集" in cover_text and "场景指引" in cover_text
    assert article.cover_jpeg != before.cover_jpeg


def test_overrides_survive_a_re_ingest(archive: Runtime, tmp_path: Path) -> None:
    set_overrides(archive, ISSUE, EDITED, "ed")
    edited = tmp_path / f"{ISSUE}.txt"
    text = SAMPLES[0].read_text(encoding="utf-8")
    edited.write_text(text.replace("国家数据局 6 月 8 日", "国家数据局 6 月 9 日"), "utf-8")
    (result,) = ingest_paths(archive, [edited])
    assert result.status == "replaced"
    issue = get_issue(archive, ISSUE)
    assert issue.overrides == EDITED
    assert "6 月 9 日" in render_issue(issue, archive.settings, with_covers=False).html


def test_empty_overrides_fall_back_to_what_the_issue_gives(archive: Runtime) -> None:
    original = render_issue(get_issue(archive, ISSUE), archive.settings, with_covers=False)
    set_overrides(archive, ISSUE, EDITED, "ed")
    set_overrides(archive, ISSUE, IssueOverrides(), "ed")
    again = render_issue(get_issue(archive, ISSUE), archive.settings, with_covers=False)
    assert (again.title, again.digest, again.author) == (
        original.title, original.digest, original.author,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "题" * (FIELD_MAX_CHARS["title"] + 1)),
        ("digest", "摘" * (FIELD_MAX_CHARS["digest"] + 1)),
        ("author", "作" * (FIELD_MAX_CHARS["author"] + 1)),
        ("headline", "头" * 25),
    ],
)
def test_an_override_past_its_limit_is_refused_and_nothing_stored(
    archive: Runtime, field: str, value: str
) -> None:
    with pytest.raises(OverrideRefused, match=rf"^{field}: {len(value)} characters; at most"):
        set_overrides(archive, ISSUE, clean(**{field: value}), "ed")
    assert get_issue(archive, ISSUE).overrides == IssueOverrides()


def test_an_override_at_its_limit_is_taken_and_lint_agrees(archive: Runtime) -> None:
    at_limit = clean(title="题" * FIELD_MAX_CHARS["title"], digest="摘" * FIELD_MAX_CHARS["digest"])
    set_overrides(archive, ISSUE, at_limit, "ed")
    article = render_issue(get_issue(archive, ISSUE), archive.settings, with_covers=False)
    assert lint_article(article, publishing=False) == []


def test_overrides_of_an_unknown_issue_are_refused(archive: Runtime) -> None:
    with pytest.raises(IssueNotFound):
        set_overrides(archive, "2020-01-01", EDITED, "ed")


@pytest.mark.parametrize(
    ("typed", "keywords"),
    [
        ("行业数据集，场景指引", ("行业数据集", "场景指引")),
        ("a\nb\n\n a ", ("a", "b")),
        ("一、二;三；四,五", ("一", "二", "三", "四", "五")),
        ("", ()),
    ],
)
def test_keywords_are_split_as_typed(typed: str, keywords: tuple[str, ...]) -> None:
    assert parse_keywords(typed) == keywords


def test_the_draft_sent_to_wechat_carries_the_overrides(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    set_overrides(wechat_runtime, ISSUE, EDITED, "ed")
    record = publish_issue(wechat_runtime, ISSUE, "draft")
    assert record.status == "done"
    (draft,) = sandbox.state.live_drafts()
    article = draft.articles[0]
    assert (article["title"], article["digest"], article["author"]) == (
        EDITED.title, EDITED.digest, EDITED.author,
    )  # fmt: skip
