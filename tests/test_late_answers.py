"""Answers later than the budget go by customer-service message, once, whoever sends them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from conftest import SAMPLES, make_runtime, serving, wait_for

from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.callback import late_sender
from wxbot.callback.late_sender import deliver_due
from wxbot.demo import free_port
from wxbot.errors import ConfigError
from wxbot.runtime import Runtime
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
    custom_messages,
)
from wxbot.search.archive_search import ArchiveSearch
from wxbot.states import LateAnswerState
from wxbot.storage import followers
from wxbot.storage import late_answers as store
from wxbot.storage.followers import LoggedMessage
from wxbot.wechat import WeChatApi
from wxbot.wechat.messages import RETRY_AFTER_SECONDS

#: A seeded follower of the sandbox (``follower_openid(2)``).
FOLLOWER = "oSbx000000000000000000000002"


class Clock:
    """wxbot's clock: the real time, moved on by what WeChat waits before a retry."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


class Wired:
    """wxbot served over HTTP and the sandbox delivering followers' messages to it."""

    def __init__(self, sandbox: SandboxServer, runtime: Runtime, clock: Clock) -> None:
        self.sandbox = sandbox
        self.runtime = runtime
        self.clock = clock
        self.admin = f"{sandbox.base_url}/sandbox"

    def say(self, content: str) -> dict[str, Any]:
        """Deliver a follower's text as WeChat does; return the sandbox's record of it."""
        answer = requests.post(
            f"{self.admin}/messages", json={"openid": FOLLOWER, "content": content}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def retry(self, msg_id: int) -> dict[str, Any]:
        """Deliver message ``msg_id`` again, as WeChat's retry does (5 s later, to wxbot)."""
        self.clock.offset += dt.timedelta(seconds=RETRY_AFTER_SECONDS)
        answer = requests.post(f"{self.admin}/messages", json={"msg_id": msg_id}, timeout=30)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def subscribe(self) -> dict[str, Any]:
        """Deliver the follower's subscribe event as WeChat does."""
        answer = requests.post(
            f"{self.admin}/messages", json={"openid": FOLLOWER, "event": "subscribe"}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def custom_messages(self) -> list[dict[str, Any]]:
        """Return the customer-service messages the follower received."""
        answer = requests.get(
            f"{self.admin}/custom-messages", params={"touser": FOLLOWER}, timeout=10
        )
        messages: list[dict[str, Any]] = answer.json()["messages"]
        return messages


@pytest.fixture
def wired(
    request: pytest.FixtureRequest,
    sandbox_factory: Callable[..., SandboxServer],
    app_config: dict[str, Any],
) -> Iterator[Wired]:
    """Return wxbot (budget 0.3 s, or the test's param) served to a sandbox in safe mode."""
    budget = getattr(request, "param", 0.3)
    port = free_port("127.0.0.1")
    sandbox = sandbox_factory(callback_url=f"http://127.0.0.1:{port}/wechat", callback_timeout=5.0)
    wechat = {
        "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "token": SANDBOX_TOKEN,
        "encoding_aes_key": SANDBOX_AES_KEY, "api_base_url": sandbox.base_url,
        "retry_backoff": 0.01,
    }  # fmt: skip
    clock = Clock()
    config = {"wechat": wechat, "callback": {"late_answer_budget": budget}, "clock": clock}
    runtime = make_runtime(app_config | config)
    ingest_paths(runtime, SAMPLES)
    with serving(create_app(runtime), port):
        yield Wired(sandbox, runtime, clock)
    runtime.close()


def test_a_slow_answer_arrives_once_by_customer_service_message(
    wired: Wired, slow_search: threading.Event
) -> None:
    asked = wired.say("数据要素")
    # WeChat got `success` within its 5 s: no retry, no "该公众号暂时无法提供服务".
    assert (asked["reply"], asked["statuses"]) == ("success", ["200"])
    retried = wired.retry(asked["msg_id"])  # a retry while the answer is still being found
    assert retried["reply"] == "success"
    assert wired.custom_messages() == []

    slow_search.set()
    (sent,) = wait_for(wired.custom_messages)
    assert sent["touser"] == FOLLOWER and sent["msgtype"] in ("news", "text")
    if sent["msgtype"] == "news":
        (article,) = sent["news"]["articles"]
        assert "数据要素" in article["title"] + article["description"]
    else:
        assert "数据要素" in sent["text"]["content"]

    for _ in range(2):  # WeChat's retries of the same MsgId: `success`, nothing sent again
        assert wired.retry(asked["msg_id"])["reply"] == "success"
    time.sleep(0.5)  # room for a wrong second send to arrive
    assert len(wired.custom_messages()) == 1
    with wired.runtime.db.begin() as conn:
        late = store.get(conn, f"msg:{asked['msg_id']}")
        (logged,) = [
            m for m in followers.recent_messages(conn) if m.dedupe_key == f"msg:{asked['msg_id']}"
        ]
    assert late is not None and (late.state, late.attempts) == (LateAnswerState.SENT, 1)
    # The query log keeps what the follower was answered; retries get `success`.
    assert (logged.handler, logged.reply) == ("search", "success")
    assert logged.answer in ("news", "list") and logged.found


@pytest.mark.parametrize("wired", [4.0], indirect=True)  # the default budget
def test_an_answer_within_the_budget_is_the_passive_reply(wired: Wired) -> None:
    asked = wired.say("最新")
    assert "<MsgType><![CDATA[news]]></MsgType>" in asked["reply"]
    with wired.runtime.db.begin() as conn:
        assert store.get(conn, f"msg:{asked['msg_id']}") is None
    assert wired.custom_messages() == []


def test_a_slow_welcome_goes_within_the_minute_a_subscribe_opens(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    latest = ArchiveSearch.latest_item

    def slow(self: ArchiveSearch) -> Any:
        assert release.wait(30), "the test never released the search"
        return latest(self)

    monkeypatch.setattr(ArchiveSearch, "latest_item", slow)
    assert wired.subscribe()["reply"] == "success"
    release.set()
    (sent,) = wait_for(wired.custom_messages)
    # The welcome is the latest issue's card carrying the greeting (one article, as documented).
    (article,) = sent["news"]["articles"]
    assert "最新一期" in article["description"]
    with wired.runtime.db.begin() as conn:
        (late,) = store.recent(conn)
    # 关注公众号: 3 messages within 1 minute (not a message's 48 hours).
    assert late.deadline - late.received_at == dt.timedelta(minutes=1)
    assert late.state == LateAnswerState.SENT


@pytest.mark.parametrize("wired", [0], indirect=True)
def test_a_budget_of_0_waits_for_every_answer(wired: Wired, slow_search: threading.Event) -> None:
    threading.Timer(1.0, slow_search.set).start()
    asked = wired.say("数据要素")
    assert asked["reply"] != "success" and "数据要素" in asked["reply"]
    with wired.runtime.db.begin() as conn:
        assert store.get(conn, f"msg:{asked['msg_id']}") is None
    assert wired.custom_messages() == []


# --- the sender: failures recorded, transient ones retried --------------------------------------


def queue(
    runtime: Runtime,
    key: str,
    *,
    received: dt.datetime,
    openid: str = FOLLOWER,
    content: str = "最新一期",
    account: str = "default",
) -> None:
    """Queue a late text answer to message ``key`` of ``account``, as the callback does."""
    logged = LoggedMessage(
        dedupe_key=key, openid=openid, msg_type="text", query="最新", handler="latest",
        answer="text", found=True, results="[]", reply="success", received_at=received,
        account=account,
    )  # fmt: skip
    with runtime.db.begin_write() as conn:
        assert store.enqueue(
            conn,
            logged,
            msgtype="text",
            payload=json.dumps({"content": content}),
            received_at=received,
            deadline=received + dt.timedelta(hours=48),
        )


def follower_writes(sandbox: SandboxServer, openid: str = FOLLOWER) -> None:
    """Open the follower's window in the sandbox, as a message it delivered does."""
    with sandbox.account.lock:
        custom_messages.note_interaction(sandbox.account, openid, "message", sandbox.account.now())


def row(runtime: Runtime, key: str) -> store.LateAnswer:
    """Return the stored late answer to ``key``."""
    with runtime.db.begin() as conn:
        found = store.get(conn, key)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("prepare", "errcode"),
    [
        ("nothing", 45015),  # the follower never wrote: no window
        ("quota", 45047),  # 5 messages already sent in the window
        ("stranger", 40003),  # not a follower
    ],
)
def test_refusals_fail_the_answer_with_the_reason_logged(
    wechat_runtime: Runtime,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    prepare: str,
    errcode: int,
) -> None:
    openid = "oSbxNotAFollower000000000000" if prepare == "stranger" else FOLLOWER
    now = wechat_runtime.now()
    if prepare == "quota":
        follower_writes(sandbox)
        sandbox.account.state.interactions[FOLLOWER].sent = 5
    queue(wechat_runtime, "msg:1", received=now, openid=openid)
    api = WeChatApi(wechat_runtime)
    with caplog.at_level(logging.WARNING):
        (outcome,) = deliver_due(wechat_runtime, api, sender="a")
    assert outcome.state == LateAnswerState.FAILED
    stored = row(wechat_runtime, "msg:1")
    assert stored.state == LateAnswerState.FAILED and f"errcode {errcode}" in (stored.error or "")
    (line,) = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert f"errcode {errcode}" in line and openid not in line
    assert deliver_due(wechat_runtime, api, sender="a") == []  # never tried again
    assert sandbox.account.state.custom_messages == []


@pytest.mark.parametrize("fault", [{"errcode": -1}, {"drop": True}], ids=["busy", "dropped"])
def test_passing_failures_are_retried_with_backoff(
    wechat_runtime: Runtime, sandbox: SandboxServer, fault: dict[str, Any]
) -> None:
    follower_writes(sandbox)
    sandbox.account.faults.add_from_json({"path": "message/custom/send"} | fault)
    now = wechat_runtime.now()
    queue(wechat_runtime, "msg:2", received=now)
    api = WeChatApi(wechat_runtime)
    (first,) = deliver_due(wechat_runtime, api, sender="a", now=now)
    stored = row(wechat_runtime, "msg:2")
    assert (first.state, stored.state, stored.attempts) == (LateAnswerState.PENDING,) * 2 + (1,)
    assert stored.error and stored.next_try_at == now + late_sender.RETRY_BACKOFF
    assert deliver_due(wechat_runtime, api, sender="a", now=now) == []  # not before its time
    later = now + late_sender.RETRY_BACKOFF
    (second,) = deliver_due(wechat_runtime, api, sender="b", now=later)
    assert second.state == LateAnswerState.SENT
    assert [m.body for m in sandbox.account.state.custom_messages] == [{"content": "最新一期"}]


def test_an_answer_past_the_window_is_not_sent(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    follower_writes(sandbox)
    now = wechat_runtime.now()
    queue(wechat_runtime, "msg:3", received=now - dt.timedelta(hours=48, seconds=1))
    (outcome,) = deliver_due(wechat_runtime, WeChatApi(wechat_runtime), sender="a", now=now)
    assert outcome.state == LateAnswerState.FAILED and "window" in outcome.reason
    assert sandbox.account.state.custom_messages == []


SECOND_APPID, SECOND_SECRET = "wxsecond0000000001", "secondsecret000000000000000000000"


@pytest.mark.parametrize(
    ("account", "reaches", "reason"),
    [
        ("default", "default", ""),
        ("second", "second", ""),
        ("gone", None, "account gone: no account named 'gone'"),  # since left the configuration
    ],
)
def test_each_answer_goes_by_the_api_of_its_own_account(
    wechat_config: dict[str, Any],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    sandbox: SandboxServer,
    sandbox_factory: Callable[..., SandboxServer],
    account: str,
    reaches: str | None,
    reason: str,
) -> None:
    second = sandbox_factory(appid=SECOND_APPID, secret=SECOND_SECRET)
    table = {"appid": SECOND_APPID, "secret": SECOND_SECRET, "api_base_url": second.base_url}
    runtime = runtime_factory(wechat_config | {"accounts": {"second": table}})
    sandboxes = {"default": sandbox, "second": second}
    for each in sandboxes.values():
        follower_writes(each)
    now = runtime.now()
    queue(runtime, f"{account}/msg:1", received=now, account=account)
    # The worker's sender holds the default account's client; the others are made from it.
    (outcome,) = deliver_due(runtime, WeChatApi(runtime), sender="a", now=now)
    assert outcome.reason.startswith(reason)
    for name, each in sandboxes.items():
        sent = [m.body for m in each.account.state.custom_messages]
        assert sent == ([{"content": "最新一期"}] if name == reaches else []), name
    assert outcome.state == (LateAnswerState.SENT if reaches else LateAnswerState.FAILED)


def test_each_answer_is_claimed_by_one_sender(wechat_runtime: Runtime) -> None:
    now = wechat_runtime.now()
    for n in range(3):
        queue(wechat_runtime, f"msg:{n}", received=now)
    lease = now + dt.timedelta(seconds=30)
    with wechat_runtime.db.begin_write() as conn:
        first = store.claim_due(conn, now, "a", lease, limit=2)
    with wechat_runtime.db.begin_write() as conn:
        second = store.claim_due(conn, now, "b", lease)
        third = store.claim_due(conn, now, "c", lease)
    assert sorted(r.dedupe_key for r in first + second) == ["msg:0", "msg:1", "msg:2"]
    assert third == []
    # A sender that died mid-call: its answer is never sent twice, and says why.
    with wechat_runtime.db.begin_write() as conn:
        assert len(store.abandon_stale(conn, lease, late_sender.ABANDONED)) == 3
    assert row(wechat_runtime, "msg:0").state == LateAnswerState.FAILED


def test_senders_in_parallel_send_each_answer_once(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    follower_writes(sandbox)
    sandbox.account.state.interactions[FOLLOWER].sent = -100  # room for every answer
    now = wechat_runtime.now()
    for n in range(8):
        queue(wechat_runtime, f"msg:{n}", received=now, content=f"answer {n}")
    outcomes: list[Any] = []

    def send(name: str) -> None:
        outcomes.extend(deliver_due(wechat_runtime, WeChatApi(wechat_runtime), sender=name))

    senders = [threading.Thread(target=send, args=(f"sender{i}",)) for i in range(3)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(60)
    sent = sorted(m.body["content"] for m in sandbox.account.state.custom_messages)
    assert sent == [f"answer {n}" for n in range(8)]
    assert [o.state for o in outcomes] == [LateAnswerState.SENT] * 8


def test_worker_once_sends_queued_late_answers(
    wechat_runtime: Runtime, sandbox: SandboxServer, wechat_cli: Callable[..., Any]
) -> None:
    follower_writes(sandbox)
    queue(wechat_runtime, "msg:4", received=wechat_runtime.now())
    result = wechat_cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "late answer: sent" in result.output
    assert len(sandbox.account.state.custom_messages) == 1


@pytest.mark.parametrize("budget", [-1, 5, 6.5])
def test_the_budget_stays_under_wechats_five_seconds(
    app_config: dict[str, Any], budget: float
) -> None:
    with pytest.raises(ConfigError, match="late_answer_budget"):
        make_runtime(app_config | {"callback": {"late_answer_budget": budget}})


def test_a_worker_sends_what_a_stopped_worker_left_queued(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    # The worker that queued it died before its sender ran; gunicorn starts another.
    follower_writes(sandbox)
    queue(wechat_runtime, "msg:5", received=wechat_runtime.now())
    app = create_app(wechat_runtime)
    try:
        wait_for(lambda: sandbox.account.state.custom_messages)
        sent = wait_for(lambda: row(wechat_runtime, "msg:5").state == LateAnswerState.SENT)
        assert sent and len(sandbox.account.state.custom_messages) == 1
    finally:
        app.extensions["wxbot.callback"].close()
