"""The follower message log: every field in bounds, and one refused row never stops the rest."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from conftest import make_runtime
from flask import Flask
from test_callback import NOW, WeChatSender, wechat_config

from wxbot.app import create_app
from wxbot.callback.message_log import MessageLog
from wxbot.runtime import Runtime, get_runtime
from wxbot.storage import followers
from wxbot.storage.followers import LoggedMessage

#: A FromUserName longer than the openid column (a real openid has 28 characters).
LONG_OPENID = "o" + "x" * 99


def _row(key: str, **fields: Any) -> LoggedMessage:
    values: dict[str, Any] = {
        "dedupe_key": key,
        "openid": "oFollower0001",
        "msg_type": "text",
        "query": "数据要素",
        "handler": "search",
        "answer": "list",
        "found": True,
        "results": "[]",
        "reply": "<xml/>",
        "received_at": NOW,
    }
    return LoggedMessage(**(values | fields))


def _logged(runtime: Runtime) -> dict[str, LoggedMessage]:
    with runtime.db.begin() as conn:
        return {m.dedupe_key: m for m in followers.recent_messages(conn, 100)}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Return the test configuration of a callback (plaintext, fixed clock)."""
    return app_config | {
        "clock": lambda: NOW,
        "wechat": wechat_config(),
        "search": {"cache_seconds": 0.0},
    }


@pytest.mark.parametrize("flush_seconds", [0.0, 0.05], ids=["written-at-once", "written-behind"])
def test_an_oversized_sender_is_answered_and_later_messages_are_logged(
    app_config: dict[str, Any],
    archive: Runtime,
    flush_seconds: float,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = app_config | {"callback": {"log_flush_seconds": flush_seconds}}
    app: Flask = create_app(make_runtime(config))
    try:
        sender = WeChatSender(app.test_client())
        long_text = sender.post(sender.text_xml("数据要素", msg_id=1, openid=LONG_OPENID))
        sender.openid = LONG_OPENID
        long_event = sender.post(sender.event_xml("subscribe"))
        sender.openid = "oFollower0001"
        later = sender.post(sender.text_xml("数据要素", msg_id=2))
        assert [r.status_code for r in (long_text, long_event, later)] == [200, 200, 200]
        app.extensions["wxbot.callback"].log.flush()
    finally:
        app.extensions["wxbot.callback"].close()
        get_runtime(app).close()
    rows = _logged(archive)
    assert len(rows) == 3, sorted(rows)  # both of the long sender's, and the one after
    assert max(len(r.openid) for r in rows.values()) == 64
    assert all(LONG_OPENID not in r.getMessage() for r in caplog.records)


#: What each column holds at most, in characters: VARCHAR lengths, and the query log's own bound.
COLUMN_CHARS = {
    "dedupe_key": 160,
    "openid": 64,
    "msg_type": 32,
    "query": 500,
    "handler": 32,
    "answer": 16,
}


def test_every_field_is_bounded_by_its_column(runtime: Runtime) -> None:
    log = MessageLog(runtime.db, flush_seconds=0.05)
    long_key = "event:" + "k" * 300
    rows = [
        _row(
            long_key + "-a",
            openid=LONG_OPENID,
            msg_type="t" * 50,
            query="问" * 5000,
            handler="h" * 50,
            answer="a" * 50,
        ),
        _row(long_key + "-b", openid=LONG_OPENID + "y", reply="<xml>b</xml>"),
    ]
    for row in rows:
        log.record(row)
    log.close()
    stored = list(_logged(runtime).values())
    longest = {name: max(len(getattr(m, name)) for m in stored) for name in COLUMN_CHARS}
    assert longest == COLUMN_CHARS
    # two keys alike in their first 160 characters stay two messages, each with its reply
    assert len({m.dedupe_key for m in stored}) == 2
    assert len({m.openid for m in stored}) == 2
    assert log.seen(long_key + "-b") == (True, "<xml>b</xml>")
    assert log.seen(long_key + "-c") == (False, None)


def test_a_refused_row_is_dropped_and_reported_and_the_others_are_logged(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    log = MessageLog(runtime.db, flush_seconds=0.05)
    naive = dt.datetime(2026, 6, 26, 10, 0)  # a time without its zone: the database refuses it
    secret = "我的私人问题"
    for row in [
        _row("msg:1"),
        _row("msg:2", openid="oSecretFollower", query=secret, received_at=naive),
        _row("msg:3"),
    ]:
        log.record(row)
    with caplog.at_level(logging.WARNING):
        log.flush()
        log.record(_row("msg:4"))
        log.close()
    assert sorted(_logged(runtime)) == ["msg:1", "msg:3", "msg:4"]
    reports = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(reports) == 1 and "dropped the message received at 2026-06-26T10:00:00" in reports[0]
    assert all(
        secret not in r.getMessage() and "oSecretFollower" not in r.getMessage()
        for r in caplog.records
    )
