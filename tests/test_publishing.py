"""The publishing pipeline against the sandbox: drafts, publishing, failures and resuming."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from PIL import Image

from wxbot.archive import ingest_paths
from wxbot.links import issue_links_for
from wxbot.publishing import (
    PublishFailed,
    check_publish,
    issue_status,
    on_wechat_event,
    prepare_issue,
    publish_issue,
    sync_article_urls,
)
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi
from wxbot.wechat import WeChatError, WeChatNetworkError, explain
from wxbot.wechat.events import ArticleUrl, PublishJobFinish

ISSUE = "2026-06-13"


def calls(sandbox: SandboxServer, path: str | None = None) -> int:
    return len(sandbox.log.entries(path))


def steps(record: Any) -> list[tuple[str, str]]:
    return [(s.step, s.status) for s in record.steps]


RuntimeFactory = Callable[[dict[str, Any]], Runtime]


def runtime_with(factory: RuntimeFactory, config: dict[str, Any], **publish: Any) -> Runtime:
    """Return another runtime on the same database with some [publish] keys changed."""
    return factory(config | {"publish": config["publish"] | publish})


def test_draft_mode_uploads_each_file_once_and_makes_one_draft(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    record = publish_issue(wechat_runtime, ISSUE, "draft")
    assert record.status == "done"
    assert steps(record) == [(s, "done") for s in ("render", "lint", "upload", "draft")]
    kinds = sorted(m.kind for m in sandbox.state.uploads())
    assert kinds == ["image", "uploadimg", "uploadimg"]  # one cover, as image material
    (draft,) = sandbox.state.live_drafts()
    assert draft.media_id == record.draft_media_id
    article = draft.articles[0]
    (cover,) = sandbox.state.uploads("image")
    assert article["thumb_media_id"] == cover.media_id
    assert cover.filename == "cover.jpg" and Image.open(io.BytesIO(cover.data)).size == (940, 500)
    assert f"cover.jpg {len(cover.data):,} bytes" in record.steps[0].detail  # render names it so
    assert article["pic_crop_235_1"] == "0_0.1_1_0.9"  # its 940×400 band
    assert article["pic_crop_1_1"] == "0.234043_0_0.765957_1"  # its central 500×500 square
    assert draft.filtered_images == []  # every body image is WeChat-hosted
    sources = re.findall(r'<img[^>]*src="([^"]+)"', article["content"])
    assert sorted(sources) == sorted(m.url for m in sandbox.state.uploads("uploadimg"))


@pytest.mark.parametrize("mode", ["draft", "publish"])
def test_republishing_an_unchanged_issue_calls_wechat_not_once(
    wechat_runtime: Runtime, sandbox: SandboxServer, mode: str
) -> None:
    first = publish_issue(wechat_runtime, ISSUE, mode)
    before = calls(sandbox)
    again = publish_issue(wechat_runtime, ISSUE, mode)
    assert calls(sandbox) == before  # no upload, no draft, no token
    assert again.status == "done" and again.draft_media_id == first.draft_media_id
    assert ("upload", "skipped") in steps(again)


def test_an_edited_issue_updates_its_one_draft(
    wechat_runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    edited = tmp_path / f"{ISSUE}.txt"
    original = SAMPLES[0].read_text(encoding="utf-8")
    edited.write_text(original.replace("约 75% 的美国人", "约 76% 的美国人"), encoding="utf-8")
    assert [r.status for r in ingest_paths(wechat_runtime, [edited])] == ["replaced"]
    record = publish_issue(wechat_runtime, ISSUE, "draft")
    assert (calls(sandbox, "draft/add"), calls(sandbox, "draft/update")) == (1, 1)
    assert calls(sandbox, "material/add_material") + calls(sandbox, "media/uploadimg") == 3
    (draft,) = sandbox.state.live_drafts()
    assert "约 76% 的美国人" in draft.articles[0]["content"]
    assert record.summary == "draft updated: version 2"


def test_publish_mode_records_the_article_url(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    record = publish_issue(wechat_runtime, ISSUE, "publish")
    (job,) = sandbox.state.publishes.values()
    url = sandbox.state.articles[job.article_id].urls[0]
    assert (record.status, record.publish_id, record.article_url) == ("done", job.publish_id, url)
    assert issue_links_for(wechat_runtime, [ISSUE]) == {ISSUE: url}
    assert sandbox.state.drafts[job.media_id].removed == "published"


def test_a_failure_at_upload_is_explained_and_a_rerun_resumes(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject("media/uploadimg", errcode=45009)
    with pytest.raises(WeChatError) as caught:
        publish_issue(wechat_runtime, ISSUE, "publish")
    assert caught.value.explanation == explain(45009)
    (failed,) = issue_status(wechat_runtime, ISSUE).runs
    assert failed.status == "failed"
    assert [(s.step, s.status, s.errcode) for s in failed.steps][-1] == ("upload", "failed", 45009)
    assert "quota" in failed.steps[-1].detail

    record = publish_issue(wechat_runtime, ISSUE, "publish")
    assert record.status == "done" and record.article_url
    upload = next(s for s in record.steps if s.step == "upload")
    assert upload.detail == "3 files: 2 uploaded, 1 already on WeChat"
    assert calls(sandbox, "material/add_material") == 1  # the cover went the first time
    assert len(sandbox.state.uploads("uploadimg")) == 2


def test_an_expired_token_mid_run_is_refreshed(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    sandbox.advance(7300)  # the cached token dies on WeChat's side only
    record = publish_issue(wechat_runtime, ISSUE, "publish")
    assert record.status == "done"
    assert [f.endpoint for f in sandbox.state.token_fetches] == ["stable_token", "stable_token"]
    assert [e["errcode"] for e in sandbox.log.entries("freepublish/submit")] == [42001, 0]


@pytest.mark.parametrize(
    ("path", "errcode", "step"),
    [
        ("material/add_material", 40164, "upload"),
        ("draft/add", 45009, "draft"),
        ("draft/add", 45166, "draft"),
        ("freepublish/submit", 48001, "submit"),
        ("freepublish/submit", 53503, "submit"),
    ],
)
def test_wechat_errors_are_recorded_at_their_step_in_plain_words(
    wechat_runtime: Runtime, sandbox: SandboxServer, path: str, errcode: int, step: str
) -> None:
    sandbox.faults.inject(path, errcode=errcode)
    with pytest.raises(WeChatError):
        publish_issue(wechat_runtime, ISSUE, "publish")
    (run,) = issue_status(wechat_runtime, ISSUE).runs
    failed = run.steps[-1]
    assert (failed.step, failed.status, failed.errcode) == (step, "failed", errcode)
    assert explain(errcode) in failed.detail and explain(errcode) in run.summary
    assert calls(sandbox, path) == 1  # none of these is worth a retry


# (fault on the call, calls it gets): -1 or a dropped connection, before or after it took effect
LOST_ANSWERS = [
    ({"errcode": -1, "when": "before"}, 2),  # nothing was made: made again after looking
    ({"errcode": -1, "when": "after"}, 1),  # it was made: found and adopted, not repeated
    ({"drop": True, "when": "before"}, 2),
    ({"drop": True, "when": "after"}, 1),
]


@pytest.mark.parametrize(("fault", "made"), LOST_ANSWERS)
def test_a_lost_draft_add_still_makes_exactly_one_draft(
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: RuntimeFactory,
    wechat_runtime: Runtime,
    fault: dict[str, Any],
    made: int,
) -> None:
    sandbox.faults.inject("draft/add", **fault)
    record = publish_issue(wechat_runtime, ISSUE, "publish")
    assert record.status == "done"
    assert calls(sandbox, "draft/add") == made
    assert len(sandbox.state.drafts) == 1  # one draft ever made, and it was the one published
    (published,) = sandbox.state.articles.values()
    assert (record.draft_media_id, published.urls[0]) == (
        next(iter(sandbox.state.drafts)),
        record.article_url,
    )


@pytest.mark.parametrize(("fault", "made"), LOST_ANSWERS)
def test_a_lost_submit_still_publishes_exactly_once(
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: RuntimeFactory,
    fault: dict[str, Any],
    made: int,
) -> None:
    runtime = runtime_with(runtime_factory, wechat_config, wait_timeout=1.0)
    ingest_paths(runtime, SAMPLES)
    sandbox.faults.inject("freepublish/submit", **fault)
    record = publish_issue(runtime, ISSUE, "publish")
    assert calls(sandbox, "freepublish/submit") == made
    assert len(sandbox.state.publishes) == 1  # one publish job in WeChat
    (article,) = sandbox.state.articles.values()
    assert (record.status, record.article_url) == ("done", article.urls[0])
    assert issue_links_for(runtime, [ISSUE]) == {ISSUE: article.urls[0]}


def test_a_submit_left_unanswered_is_recovered_by_the_next_run(
    wechat_config: dict[str, Any], sandbox: SandboxServer, runtime_factory: RuntimeFactory
) -> None:
    runtime = runtime_with(runtime_factory, wechat_config, wait_timeout=0.0)
    ingest_paths(runtime, SAMPLES)
    # It went through, but neither its answer nor the look for its article came back.
    sandbox.faults.inject("freepublish/submit", drop=True, when="after")
    sandbox.faults.inject("freepublish/batchget", drop=True, times=9)
    with pytest.raises(WeChatNetworkError):
        publish_issue(runtime, ISSUE, "publish")
    sandbox.faults.clear()
    sandbox.advance(1)
    record = publish_issue(runtime, ISSUE, "publish")
    (article,) = sandbox.state.articles.values()
    assert (record.status, record.article_url) == ("done", article.urls[0])
    assert calls(sandbox, "freepublish/submit") == 1
    assert record.steps[0].step == "recover"


def test_a_refused_publish_is_explained_and_can_be_submitted_again(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    sandbox.faults.fail_publish(publish_status=4)
    with pytest.raises(PublishFailed, match="refused by the platform's review"):
        publish_issue(wechat_runtime, ISSUE, "publish")
    record = publish_issue(wechat_runtime, ISSUE, "publish")
    assert record.status == "done" and record.article_url
    assert calls(sandbox, "freepublish/submit") == 2
    assert calls(sandbox, "draft/add") == 1  # the refused draft stayed in the box


def test_a_publish_still_running_is_finished_by_its_event(
    wechat_runtime: Runtime,
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: RuntimeFactory,
) -> None:
    impatient = runtime_with(runtime_factory, wechat_config, wait_timeout=0.0)
    record = publish_issue(impatient, ISSUE, "publish")
    assert record.status == "waiting" and record.article_url == ""
    sandbox.advance(1)
    job = sandbox.state.publishes[record.publish_id]
    urls = sandbox.state.articles[job.article_id].urls
    event = PublishJobFinish(
        job.publish_id, 0, job.article_id, tuple(ArticleUrl(i, u) for i, u in enumerate(urls, 1))
    )
    on_wechat_event(impatient, event)
    on_wechat_event(impatient, event)  # WeChat may deliver an event twice
    assert issue_links_for(impatient, [ISSUE]) == {ISSUE: urls[0]}
    before = calls(sandbox)
    again = publish_issue(impatient, ISSUE, "publish")
    assert (again.status, again.article_url, calls(sandbox)) == ("done", urls[0], before)


def test_sync_fills_in_urls_of_unfinished_jobs_and_of_drafts_published_by_hand(
    wechat_runtime: Runtime,
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: RuntimeFactory,
) -> None:
    impatient = runtime_with(runtime_factory, wechat_config, wait_timeout=0.0)
    assert publish_issue(impatient, ISSUE, "publish").status == "waiting"
    by_hand = prepare_issue(wechat_runtime, "2026-06-25")
    SandboxApi(sandbox.base_url).post("freepublish/submit", {"media_id": by_hand.media_id})
    sandbox.advance(1)
    assert sync_article_urls(wechat_runtime) == 2
    links = issue_links_for(wechat_runtime, [ISSUE, "2026-06-25"])
    published = sorted(a.urls[0] for a in sandbox.state.articles.values())
    assert sorted(links.values()) == published
    assert sync_article_urls(wechat_runtime) == 0


def test_a_publish_told_not_to_wait_returns_at_submit_and_a_check_finishes_it(
    wechat_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: RuntimeFactory,
) -> None:
    slow = sandbox_factory(publish_delay=60)  # WeChat takes a minute to publish
    wechat = wechat_config["wechat"] | {"api_base_url": slow.base_url}
    runtime = runtime_factory(wechat_config | {"wechat": wechat})
    ingest_paths(runtime, SAMPLES)
    record = publish_issue(runtime, ISSUE, "publish", wait=0)  # wait_timeout is 5 s
    assert (record.status, record.article_url) == ("waiting", "")
    assert calls(slow, "freepublish/get") == 0
    pending = check_publish(runtime, ISSUE)
    assert pending is not None and pending.status == 1  # still publishing
    slow.advance(61)
    finished = check_publish(runtime, ISSUE)
    (article,) = slow.state.articles.values()
    assert finished is not None and (finished.status, finished.article_url) == (0, article.urls[0])
    assert issue_status(runtime, ISSUE).article_url == article.urls[0]
    assert check_publish(runtime, ISSUE) == finished
    assert calls(slow, "freepublish/get") == 2  # none once WeChat has told
