"""Mass sends against the sandbox: once per audience, safe retries, quotas, events, previews."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from sqlalchemy.exc import IntegrityError

from wxbot.archive import ingest_paths
from wxbot.links import issue_links_for
from wxbot.publishing import (
    AlreadySent,
    PublishError,
    default_clientmsgid,
    mass_send_record,
    mass_send_status,
    on_wechat_event,
    prepare_issue,
    publish_issue,
    send_mass,
)
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.sandbox.account import EDITORS_TAG, follower_openid
from wxbot.sandbox.testing import SandboxApi
from wxbot.storage import publications
from wxbot.wechat import WeChatError, WeChatNetworkError, account_key, explain
from wxbot.wechat.events import ArticleUrl, MassSendJobFinish

ISSUE = "2026-06-13"
OTHER = "2026-06-25"


def sendall_calls(sandbox: SandboxServer) -> int:
    return len(sandbox.log.entries("message/mass/sendall"))


def finished_event(sandbox: SandboxServer, msg_id: str) -> MassSendJobFinish:
    """Return the MASSSENDJOBFINISH WeChat sends once the sandbox completed the send."""
    sandbox.advance(1)
    send = sandbox.state.mass_send(int(msg_id))
    assert send is not None and send.status == "SEND_SUCCESS"
    urls = sandbox.state.articles[send.article_id].urls
    total = len(send.recipients)
    return MassSendJobFinish(
        msg_id, "send success", total, total, total, 0,
        tuple(ArticleUrl(i, u) for i, u in enumerate(urls, 1)),
    )  # fmt: skip


def test_mass_mode_sends_once_and_records_the_outcome(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    record = publish_issue(wechat_runtime, ISSUE, "mass")
    (send,) = sandbox.state.mass_sends
    assert (record.status, record.msg_id) == ("done", str(send.msg_id))
    assert send.clientmsgid == default_clientmsgid(ISSUE, "all", 1) and send.is_to_all
    assert sandbox.state.drafts[send.media_id].removed == "mass_sent"
    assert mass_send_record(wechat_runtime, record.msg_id).status == "accepted"  # type: ignore[union-attr]

    event = finished_event(sandbox, record.msg_id)
    on_wechat_event(wechat_runtime, event)
    stored = mass_send_record(wechat_runtime, send.clientmsgid)
    assert stored is not None
    assert (stored.status, stored.total_count, stored.sent_count, stored.error_count) == (
        "success", 3, 3, 0,
    )  # fmt: skip
    assert stored.article_url == event.articles[0].url
    assert issue_links_for(wechat_runtime, [ISSUE]) == {ISSUE: event.articles[0].url}

    again = publish_issue(wechat_runtime, ISSUE, "mass")
    assert again.status == "done" and again.msg_id == record.msg_id
    assert sendall_calls(sandbox) == 1


def test_sending_an_unprepared_issue_is_refused(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    with pytest.raises(PublishError, match="prepare it first"):
        send_mass(wechat_runtime, ISSUE, clientmsgid=default_clientmsgid(ISSUE, "all"))
    assert sendall_calls(sandbox) == 0


def test_no_mass_send_quota_is_explained(wechat_runtime: Runtime, sandbox: SandboxServer) -> None:
    publish_issue(wechat_runtime, ISSUE, "mass")
    with pytest.raises(WeChatError) as caught:
        publish_issue(wechat_runtime, OTHER, "mass")
    assert caught.value.errcode == 45028
    assert explain(45028) in str(caught.value)
    refused = mass_send_record(wechat_runtime, default_clientmsgid(OTHER, "all", 1))
    assert refused is not None and (refused.status, refused.errcode) == ("refused", 45028)
    assert len(sandbox.state.mass_sends) == 1


RuntimeFactory = Callable[[dict[str, Any]], Runtime]


def runtime_on(factory: RuntimeFactory, sandbox: SandboxServer, config: dict[str, Any]) -> Runtime:
    """Return a runtime calling another sandbox, with the samples archived."""
    wechat = {"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "api_base_url": sandbox.base_url}
    runtime = factory(config | {"wechat": wechat | {"retry_backoff": 0.01}})
    ingest_paths(runtime, SAMPLES)
    return runtime


def test_an_issue_never_goes_twice_to_one_audience(
    sandbox_factory: Callable[..., SandboxServer],
    app_config: dict[str, Any],
    runtime_factory: RuntimeFactory,
) -> None:
    sandbox = sandbox_factory(mass_daily_quota=4)
    runtime = runtime_on(runtime_factory, sandbox, app_config)
    tag_id = EDITORS_TAG[0]
    prepare_issue(runtime, ISSUE)
    to_tag = send_mass(runtime, ISSUE, clientmsgid="editors-first", tag_id=tag_id)
    assert to_tag.audience == f"tag:{tag_id}" and not to_tag.duplicate
    with pytest.raises(AlreadySent, match=f"already went to tag:{tag_id}"):
        send_mass(runtime, ISSUE, clientmsgid="editors-again", tag_id=tag_id)
    # "被群发或发布后，该素材将从草稿箱中移除": the tag send consumed the draft; it is made again.
    to_all = send_mass(runtime, ISSUE, clientmsgid="everyone")
    first, second = (s.media_id for s in sandbox.state.mass_sends)
    assert first != second and len(sandbox.log.entries("draft/add")) == 2
    with pytest.raises(AlreadySent, match="already went to all"):
        send_mass(runtime, ISSUE, clientmsgid="everyone-again")
    repeat = send_mass(runtime, ISSUE, clientmsgid="everyone")
    assert (repeat.msg_id, repeat.duplicate) == (to_all.msg_id, True)
    assert sendall_calls(sandbox) == 2
    assert [s.tag_id for s in sandbox.state.mass_sends] == [tag_id, None]


def waiting_on(runtime: Runtime, sandbox: SandboxServer) -> list[float]:
    """Make the runtime wait in sandbox time; return the waits it makes."""
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        sandbox.advance(seconds)

    runtime.sleep = wait
    return waits


@pytest.mark.parametrize(
    ("lost_answers", "runs"),
    [
        (1, 1),  # asked again past the minute: told 45065 and the first msg_id
        (2, 2),  # that answer lost too: left unconfirmed; the re-run is told 45065
    ],
)
def test_a_send_whose_answer_was_lost_is_retried_into_exactly_one_send(
    sandbox_factory: Callable[..., SandboxServer],
    app_config: dict[str, Any],
    runtime_factory: RuntimeFactory,
    lost_answers: int,
    runs: int,
) -> None:
    sandbox = sandbox_factory(clientmsgid_retry_interval=60)  # 45066 within the minute
    runtime = runtime_on(runtime_factory, sandbox, app_config)
    waits = waiting_on(runtime, sandbox)
    sandbox.faults.inject("message/mass/sendall", drop=True, when="after", times=lost_answers)
    if runs == 2:
        with pytest.raises(WeChatNetworkError):
            publish_issue(runtime, ISSUE, "mass")
        unconfirmed = mass_send_record(runtime, default_clientmsgid(ISSUE, "all", 1))
        assert unconfirmed is not None and unconfirmed.status == "unconfirmed"
        with pytest.raises(AlreadySent, match="got no answer"):
            send_mass(runtime, ISSUE, clientmsgid="a-new-send")
    record = publish_issue(runtime, ISSUE, "mass")
    (send,) = sandbox.state.mass_sends
    assert record.msg_id == str(send.msg_id)
    assert mass_send_record(runtime, record.msg_id).status == "accepted"  # type: ignore[union-attr]
    errcodes = [e["errcode"] for e in sandbox.log.entries("message/mass/sendall")]
    assert 45066 not in errcodes and errcodes[-1] == 45065
    assert len(errcodes) == lost_answers + 1 and all(w > 60 for w in waits)
    steps = [s.step for s in record.steps]
    assert "wait" in steps or runs == 2


@pytest.mark.parametrize(
    ("issue_id", "audience", "version", "expected"),
    [
        ("2026-06-13", "all", 1, "wxbot:2026-06-13:all:v1"),
        ("2026-06-13", "tag:100", 1, "wxbot:2026-06-13:tag:100:v1"),
        ("2026-06-13", "all", 2, "wxbot:2026-06-13:all:v2"),
        ("2026-06-13", "tag:" + "9" * 60, 1, None),  # too long to read: hashed
    ],
)
def test_default_clientmsgid(
    issue_id: str, audience: str, version: int, expected: str | None
) -> None:
    clientmsgid = default_clientmsgid(issue_id, audience, version)
    assert len(clientmsgid.encode("utf-8")) <= 32  # 45067 has been seen from 34
    assert clientmsgid == (expected or clientmsgid)
    assert clientmsgid == default_clientmsgid(issue_id, audience, version)
    assert clientmsgid != default_clientmsgid(issue_id, audience, version + 1)


def test_mass_send_status_follows_the_send(wechat_runtime: Runtime, sandbox: SandboxServer) -> None:
    record = publish_issue(wechat_runtime, ISSUE, "mass")
    sandbox.advance(1)
    status = mass_send_status(wechat_runtime, record.msg_id)
    assert (status.status, status.finished) == ("SEND_SUCCESS", True)
    assert mass_send_record(wechat_runtime, record.msg_id).status == "success"  # type: ignore[union-attr]


def test_previews_go_once_per_recipient_and_draft_version(
    wechat_runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    editor = follower_openid(1)
    first = prepare_issue(wechat_runtime, ISSUE, preview_openids=[editor], preview_wxname="ed")
    assert first.previews == (editor, "wxname:ed")
    again = prepare_issue(wechat_runtime, ISSUE, preview_openids=[editor], preview_wxname="ed")
    assert again.previews == ()
    edited = tmp_path / f"{ISSUE}.txt"
    original = SAMPLES[0].read_text(encoding="utf-8")
    edited.write_text(original.replace("约 75% 的美国人", "约 76% 的美国人"), encoding="utf-8")
    ingest_paths(wechat_runtime, [edited])
    assert prepare_issue(wechat_runtime, ISSUE, preview_openids=[editor]).previews == (editor,)
    assert [(p.touser, p.towxname) for p in sandbox.state.previews] == [
        (editor, ""), ("", "ed"), (editor, ""),
    ]  # fmt: skip


def test_mass_mode_previews_on_the_configured_editors(
    wechat_config: dict[str, Any],
    wechat_runtime: Runtime,
    sandbox: SandboxServer,
    runtime_factory: RuntimeFactory,
) -> None:
    editors = [follower_openid(1), follower_openid(2)]
    config = wechat_config | {"publish": wechat_config["publish"] | {"preview_openids": editors}}
    runtime = runtime_factory(config)
    record = publish_issue(runtime, ISSUE, "mass")
    names = [s.step for s in record.steps]
    assert names == ["render", "lint", "upload", "draft", "preview", "sendall"]
    assert [p.touser for p in sandbox.state.previews] == editors


def test_events_for_jobs_wxbot_did_not_start_are_ignored(wechat_runtime: Runtime) -> None:
    on_wechat_event(wechat_runtime, MassSendJobFinish("123456", "send success", 1, 1, 1, 0))
    assert issue_links_for(wechat_runtime, [ISSUE]) == {ISSUE: f"http://wxbot.test/issues/{ISSUE}"}


def test_the_database_refuses_a_second_send_racing_the_first(wechat_runtime: Runtime) -> None:
    account = account_key(wechat_runtime.settings.wechat)
    draft = prepare_issue(wechat_runtime, ISSUE)
    row = publications.DraftRow(
        ISSUE, draft.media_id, draft.version, "", draft.title, "live", wechat_runtime.now()
    )

    def begin(clientmsgid: str, audience: str = "all") -> None:
        with wechat_runtime.db.begin() as conn:
            publications.begin_mass_send(
                conn, account, issue_id=ISSUE, clientmsgid=clientmsgid, audience=audience,
                tag_id=None, draft=row, now=wechat_runtime.now(),
            )  # fmt: skip

    begin("worker-1")
    with pytest.raises(IntegrityError):
        begin("worker-2")  # another worker, the same issue and audience, at the same time
    begin("worker-3", audience="tag:100")  # another audience is another send
    with wechat_runtime.db.begin() as conn:
        publications.update_mass_send(
            conn, account, "worker-1", wechat_runtime.now(), status="refused", errcode=45028
        )
    begin("worker-2")  # a refused send reached no one


def test_a_gone_draft_after_an_unanswered_call_is_never_reported_sent(
    sandbox_factory: Callable[..., SandboxServer],
    app_config: dict[str, Any],
    runtime_factory: RuntimeFactory,
) -> None:
    """40007 on a call that may have gone out: re-making the draft could send twice."""
    sandbox = sandbox_factory(clientmsgid_retry_interval=60)
    runtime = runtime_on(runtime_factory, sandbox, app_config)
    waiting_on(runtime, sandbox)
    sandbox.faults.inject("message/mass/sendall", drop=True, times=2)  # never reaches WeChat
    with pytest.raises(WeChatNetworkError):
        publish_issue(runtime, ISSUE, "mass")
    (draft,) = sandbox.state.live_drafts()
    SandboxApi(sandbox.base_url).post("draft/delete", {"media_id": draft.media_id})
    with pytest.raises(PublishError, match="may have gone out.*群发记录"):
        publish_issue(runtime, ISSUE, "mass")
    assert sandbox.state.mass_sends == []
    assert len(sandbox.log.entries("draft/add")) == 1
    record = mass_send_record(runtime, default_clientmsgid(ISSUE, "all", 1))
    assert record is not None and record.status != "accepted"
