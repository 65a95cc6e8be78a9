"""The issue's actions in the console, through the real sandbox over loopback.

Save to drafts, preview (openid or WeChat ID, remembered), publish now, mass send now (confirm,
then exactly once by the scheduler), schedule / cancel / reschedule in the account's timezone,
WeChat errors in plain words, CSRF, sign-in, and an audit entry for every action.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from console_support import csrf_token, post_form, signed_in_client
from flask.testing import FlaskClient

from wxbot.app import create_app
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.sandbox.account import follower_openid
from wxbot.scheduling import list_jobs, run_due_jobs
from wxbot.states import JobState
from wxbot.storage import audit_log
from wxbot.wechat import explain

ISSUE = "2026-06-13"
ACTIONS = f"/console/issues/{ISSUE}/actions"


@pytest.fixture
def console(wechat_runtime: Runtime) -> FlaskClient:
    """Return a client signed in as an editor of an app calling the sandbox."""
    return signed_in_client(create_app(wechat_runtime).test_client(), wechat_runtime)


def act(client: FlaskClient, action: str, **data: Any) -> str:
    """POST an action as its form does (back to the actions page); return the page after it."""
    response = post_form(
        client, f"/console/issues/{ISSUE}/{action}", {"back": "actions", **data}, page=ACTIONS
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == ACTIONS
    return text_of(client.get(ACTIONS).get_data(as_text=True))


def text_of(page: str) -> str:
    """Return a page's text: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def audited(runtime: Runtime) -> list[tuple[str, str, str]]:
    """Return ``(action, subject, outcome)`` of every audit entry, oldest first."""
    with runtime.db.begin() as conn:
        entries = audit_log.recent_entries(conn, 1000)
    return [(e.action, e.subject, e.outcome) for e in reversed(entries) if e.action != "sign-in"]


def test_save_to_drafts_puts_the_draft_in_the_sandbox(
    console: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = act(console, "draft")
    (draft,) = sandbox.state.live_drafts()
    assert "Saved to WeChat's draft box (draft added: version 1)" in page
    assert "live · version 1" in page
    assert draft.articles[0]["title"] in sandbox.state.drafts[draft.media_id].articles[0]["title"]
    page = act(console, "draft")
    assert "draft unchanged: version 1" in page and len(sandbox.state.drafts) == 1
    assert audited(wechat_runtime) == [("draft", ISSUE, "ok")] * 2


@pytest.mark.parametrize(
    ("kind", "target", "field"),
    [("openid", follower_openid(1), "touser"), ("wxname", "editor_wang", "towxname")],
)
def test_a_preview_reaches_the_editor_and_is_remembered(
    console: FlaskClient,
    wechat_runtime: Runtime,
    sandbox: SandboxServer,
    kind: str,
    target: str,
    field: str,
) -> None:
    page = act(console, "preview", kind=kind, target=target)
    (preview,) = sandbox.state.previews
    assert getattr(preview, field) == target
    assert preview.media_id == sandbox.state.live_drafts()[0].media_id
    assert "Preview of draft version 1 sent to" in page
    form = console.get(ACTIONS).get_data(as_text=True)
    assert f'name="target" value="{target}"' in form  # remembered for this editor
    assert re.search(rf'value="{kind}" checked', form)
    page = act(console, "preview", kind=kind, target=target)
    assert "already got a preview of draft version 1" in page and len(sandbox.state.previews) == 1
    assert audited(wechat_runtime) == [("preview", ISSUE, "ok"), ("preview", ISSUE, "skipped")]


def test_a_preview_without_a_usable_target_sends_nothing(
    console: FlaskClient, sandbox: SandboxServer
) -> None:
    page = act(console, "preview", kind="wxname", target="two words")
    assert "Preview not sent" in page and sandbox.state.previews == []


def test_publish_now_returns_at_submit_and_ends_published_with_its_link(
    console: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = act(console, "publish")
    (job,) = sandbox.state.publishes.values()
    assert f"Submitted to WeChat (publish_id {job.publish_id})" in page
    assert "Check the result" in page
    assert len(sandbox.log.entries("freepublish/get")) == 0  # the request did not wait
    sandbox.advance(1)
    page = act(console, "check")
    url = sandbox.state.articles[job.article_id].urls[0]
    assert f"Published: {url}" in page
    assert "Check the result" not in page
    assert f'href="{html.escape(url)}"' in console.get(ACTIONS).get_data(as_text=True)
    assert audited(wechat_runtime) == [("publish", ISSUE, "ok"), ("check", ISSUE, "ok")]


def test_mass_send_confirms_audience_and_quota_then_sends_once(
    console: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    confirm = text_of(console.get(f"/console/issues/{ISSUE}/mass-send?audience=all").text)
    assert "Goes to every follower" in confirm
    assert "1 of 1 mass send(s) left on" in confirm
    tagged = text_of(console.get(f"/console/issues/{ISSUE}/mass-send?tag=7").text)
    assert "Goes to the followers tagged 7" in tagged

    unconfirmed = post_form(console, f"/console/issues/{ISSUE}/mass-send", {"audience": "all"})
    assert unconfirmed.headers["Location"] == f"/console/issues/{ISSUE}/mass-send?audience=all"
    page = text_of(console.get(unconfirmed.headers["Location"]).text)
    assert "confirm it on the confirmation page first" in page and list_jobs(wechat_runtime) == []

    page = act(console, "mass-send", audience="all", confirmed="yes")
    (job,) = list_jobs(wechat_runtime)
    assert f"handed to the scheduler as job #{job.id}, due now" in page
    again = act(console, "mass-send", audience="all", confirmed="yes")
    assert "Mass send failed" in again and f"already has job {job.id}" in again
    run_due_jobs(wechat_runtime)
    run_due_jobs(wechat_runtime)
    (sent,) = sandbox.state.mass_sends
    assert sent.is_to_all and sent.clientmsgid == job.clientmsgid
    assert list_jobs(wechat_runtime)[0].state is JobState.SUBMITTED
    confirm = text_of(console.get(f"/console/issues/{ISSUE}/mass-send?audience=all").text)
    assert "0 of 1 mass send(s) left" in confirm and "Today's quota is used" in confirm
    assert audited(wechat_runtime) == [
        ("mass-send", ISSUE, "refused"),
        ("mass-send", ISSUE, "ok"),
        ("mass-send", ISSUE, "failed"),
    ]


def local_field(runtime: Runtime, **ahead: float) -> str:
    moment = runtime.now() + dt.timedelta(**ahead)
    return moment.astimezone(runtime.tz).strftime("%Y-%m-%dT%H:%M")


def test_schedule_cancel_and_reschedule_in_the_accounts_timezone(
    console: FlaskClient, wechat_runtime: Runtime
) -> None:
    page = console.get(ACTIONS).get_data(as_text=True)
    assert "CST (Asia/Shanghai)" in page  # the zone is named by the form
    assert re.search(r'type="datetime-local" name="send_at" min="\d{4}-\d\d-\d\dT\d\d:\d\d"', page)
    when = local_field(wechat_runtime, days=1)
    page = act(console, "schedule", send_at=when, audience="")
    (job,) = list_jobs(wechat_runtime)
    shown = f"{when.replace('T', ' ')} CST (Asia/Shanghai)"
    assert f"Scheduled job #{job.id}: to everyone at {shown}" in page
    assert f"#{job.id} {shown} everyone scheduled" in page  # listed, in the zone
    later = local_field(wechat_runtime, days=2)
    page = act(console, "reschedule", job_id=str(job.id), send_at=later)
    assert f"Job #{job.id} now sends at {later.replace('T', ' ')} CST" in page
    page = act(console, "cancel", job_id=str(job.id))
    assert f"Cancelled job #{job.id}" in page and list_jobs(wechat_runtime)[0].state == "cancelled"
    page = act(console, "cancel", job_id=str(job.id))
    assert "Cancelling failed" in page and "is cancelled" in page
    assert [a for a, _, _ in audited(wechat_runtime)] == [
        "schedule", "reschedule", "cancel", "cancel"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (2, "is less than 5 minutes ahead"),  # [schedule] min_lead
        (-60, "is in the past"),
    ],
)
def test_a_refused_time_says_why_and_what_to_do(
    console: FlaskClient, wechat_runtime: Runtime, minutes: int, words: str
) -> None:
    page = act(console, "schedule", send_at=local_field(wechat_runtime, minutes=minutes))
    assert "Scheduling failed" in page and words in page and "Next: pick a" in page
    assert list_jobs(wechat_runtime) == []
    assert audited(wechat_runtime) == [("schedule", ISSUE, "failed")]


def test_a_wechat_error_is_shown_in_plain_words_with_the_next_step(
    console: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject("draft/add", errcode=45166)
    page = act(console, "draft")
    assert f"Saving the draft failed: WeChat said: {explain(45166)} (errcode 45166)." in page
    assert "Next: print addresses as text instead of links" in page
    assert sandbox.state.live_drafts() == []
    assert audited(wechat_runtime) == [("draft", ISSUE, "failed")]
    assert "Saved to WeChat's draft box" in act(console, "draft")  # the fault was once


def test_a_form_without_its_csrf_token_changes_nothing(
    console: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    response = console.post(f"/console/issues/{ISSUE}/draft", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "nothing was changed" in response.get_data(as_text=True)
    assert sandbox.state.drafts == {} and audited(wechat_runtime) == []


@pytest.mark.parametrize(
    "action", ["draft", "preview", "publish", "check", "mass-send", "schedule", "cancel"]
)
def test_actions_need_a_signed_in_editor(
    wechat_runtime: Runtime, sandbox: SandboxServer, action: str
) -> None:
    client = create_app(wechat_runtime).test_client()
    token = csrf_token(client)
    response = client.post(f"/console/issues/{ISSUE}/{action}", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in")
    assert client.get(ACTIONS).headers["Location"].startswith("/console/sign-in")
    assert sandbox.log.entries() == [] and audited(wechat_runtime) == []


def test_an_unknown_issue_is_404(console: FlaskClient) -> None:
    assert console.get("/console/issues/2020-01-01/actions").status_code == 404
    response = post_form(console, "/console/issues/2020-01-01/draft", page=ACTIONS)
    assert response.status_code == 404


def test_another_editors_preview_target_is_their_own(
    console: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    act(console, "preview", kind="wxname", target="editor_wang")
    other = signed_in_client(create_app(wechat_runtime).test_client(), wechat_runtime, "li")
    assert 'name="target" value=""' in other.get(ACTIONS).get_data(as_text=True)
