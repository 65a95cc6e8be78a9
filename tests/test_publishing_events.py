"""Completion events as WeChat sends them, through ``/wechat``, into the publishing records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import SAMPLES, make_runtime
from flask import Flask

from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.links import issue_links_for
from wxbot.publishing import issue_status, mass_send_record, publish_issue, reconcile_mass_sends
from wxbot.runtime import get_runtime
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
)
from wxbot.sandbox.testing import EventSink


@pytest.fixture(params=["msg_id", "own"])
def wired(
    request: pytest.FixtureRequest,
    sandbox_factory: Callable[..., SandboxServer],
    event_sink: EventSink,
    app_config: dict[str, Any],
) -> Iterator[tuple[SandboxServer, Flask]]:
    """Return a sandbox that posts its events to a sink, and a wxbot app sharing its secrets.

    Its MASSSENDJOBFINISH carries sendall's msg_id, or (as the documentation's example) an id
    of its own.
    """
    sandbox = sandbox_factory(  # safe mode: events are encrypted
        callback_url=event_sink.url, mass_event_msg_id=request.param
    )
    wechat = {
        "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "token": SANDBOX_TOKEN,
        "encoding_aes_key": SANDBOX_AES_KEY, "api_base_url": sandbox.base_url,
    }  # fmt: skip
    runtime = make_runtime(app_config | {"wechat": wechat, "publish": {"wait_timeout": 0.0}})
    ingest_paths(runtime, SAMPLES)
    yield sandbox, create_app(runtime)
    runtime.close()


def test_completion_events_fill_in_urls_and_counts(
    wired: tuple[SandboxServer, Flask], event_sink: EventSink
) -> None:
    sandbox, app = wired
    runtime = get_runtime(app)
    published = publish_issue(runtime, "2026-06-13", "publish")
    sent = publish_issue(runtime, "2026-06-25", "mass")
    assert published.status == "waiting" and not published.article_url
    sandbox.advance(1)  # both jobs finish; WeChat posts PUBLISHJOBFINISH and MASSSENDJOBFINISH
    posts = event_sink.wait(2)
    assert len(posts) == 2
    client = app.test_client()
    for post in posts * 2:  # WeChat retries: a second delivery changes nothing
        answer = client.post(
            post.path, query_string=post.query, data=post.body, content_type=post.content_type
        )
        assert answer.status_code == 200

    urls = {a.source: a.urls[0] for a in sandbox.state.articles.values()}
    (job,) = issue_status(runtime, "2026-06-13").publish_jobs
    assert (job.status, job.article_url) == (0, urls["freepublish"])
    record = mass_send_record(runtime, sent.msg_id)
    assert record is not None
    if sandbox.settings.mass_event_msg_id == "own":
        # The event names the send by an id wxbot never saw: message/mass/get tells its end.
        assert record.status == "accepted"
        assert reconcile_mass_sends(runtime) == 1
        record = mass_send_record(runtime, sent.msg_id)
        assert record is not None and (record.status, record.article_url) == ("success", "")
        links = issue_links_for(runtime, ["2026-06-13", "2026-06-25"])
        assert links["2026-06-13"] == urls["freepublish"]
        assert links["2026-06-25"] != urls["mass"]  # its own page: the URL came with the event
        return
    assert issue_links_for(runtime, ["2026-06-13", "2026-06-25"]) == {
        "2026-06-13": urls["freepublish"],
        "2026-06-25": urls["mass"],
    }
    assert (record.status, record.total_count, record.sent_count, record.error_count) == (
        "success", 3, 3, 0,
    )  # fmt: skip
    assert record.article_url == urls["mass"]
