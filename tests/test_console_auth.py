"""Signing in to the console: guarded pages, CSRF, the rate limit, sessions, cookies, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from console_support import (
    PASSWORD,
    Clock,
    csrf_token,
    make_editor,
    post_form,
    sign_in,
    signed_in_client,
)
from flask import Flask
from flask.testing import FlaskClient

from wxbot.app import create_app
from wxbot.console import audit
from wxbot.editors import FAILURE_WINDOW, MAX_FAILURES, list_accounts
from wxbot.runtime import Runtime
from wxbot.storage import audit_log

START = dt.datetime(2026, 6, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def runtime(app_config: dict[str, Any], clock: Clock, runtime_factory: Any) -> Runtime:
    """Return the runtime on a clock the test moves, sessions lasting two hours."""
    server = app_config["server"] | {"session_hours": 2}
    made: Runtime = runtime_factory(app_config | {"clock": clock, "server": server})
    return made


def audit_lines(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    """Return the audit log, oldest first, as (who, action, subject, outcome)."""
    with runtime.db.begin() as conn:
        entries = audit_log.recent_entries(conn, limit=1000)
    return [(e.editor_name, e.action, e.subject, e.outcome) for e in reversed(entries)]


# --- guarded pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/console/account", "/console/users", "/console/users?x=1"])
def test_a_page_without_sign_in_goes_to_the_sign_in_page_and_back(
    client: FlaskClient, runtime: Runtime, page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 302
    assert response.location.startswith("/console/sign-in?next=")
    make_editor(runtime, "ann", "admin")
    back = sign_in(client, "ann", next_page=page)
    assert back.status_code == 302 and back.location == page
    assert client.get(page).status_code == 200


@pytest.mark.parametrize(
    "next_page", ["https://evil.example/console/", "//evil.example/console", "/issues", "/\\evil"]
)
def test_sign_in_goes_back_only_to_a_console_page_of_this_site(
    client: FlaskClient, runtime: Runtime, next_page: str
) -> None:
    make_editor(runtime)
    response = sign_in(client, next_page=next_page)
    assert response.status_code == 302 and response.location == "/console/"


def test_a_post_without_sign_in_changes_nothing(client: FlaskClient, runtime: Runtime) -> None:
    make_editor(runtime, "ann", "admin")
    form = {"name": "bob", "role": "editor", "password": PASSWORD}
    response = post_form(client, "/console/users/add", form)
    assert response.status_code == 302 and "/console/sign-in" in response.location
    assert [a.name for a in list_accounts(runtime)] == ["ann"]


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, runtime: Runtime, token: str | None
) -> None:
    signed_in_client(client, runtime, "ann", "admin")
    data = {"name": "bob", "role": "editor", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/console/users/add", data=data)
    assert response.status_code == 400
    assert "nothing was changed" in response.get_data(as_text=True)
    assert [a.name for a in list_accounts(runtime)] == ["ann"]


def test_a_token_from_another_session_is_refused(app: Flask, runtime: Runtime) -> None:
    make_editor(runtime, "ann", "admin")
    other = app.test_client()
    stolen = csrf_token(other)
    victim = app.test_client()
    sign_in(victim, "ann")
    response = victim.post(
        "/console/users/add",
        data={"csrf_token": stolen, "name": "bob", "role": "editor", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert [a.name for a in list_accounts(runtime)] == ["ann"]


def test_sign_in_itself_needs_the_token(client: FlaskClient, runtime: Runtime) -> None:
    make_editor(runtime)
    response = client.post("/console/sign-in", data={"name": "editor", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/console/account").status_code == 302


# --- the rate limit -------------------------------------------------------------------------


def test_the_sixth_attempt_is_refused_even_with_the_right_password(
    client: FlaskClient, runtime: Runtime, clock: Clock
) -> None:
    make_editor(runtime)
    for _ in range(MAX_FAILURES):
        wrong = sign_in(client, "editor", "wrong password", address="10.0.0.1")
        assert wrong.status_code == 401
        assert "Wrong name or password." in wrong.get_data(as_text=True)
    refused = sign_in(client, "editor", PASSWORD, address="10.0.0.9")
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "Too many failed sign-ins for this account: try again in 15 minutes." in text
    assert client.get("/console/account").status_code == 302  # not signed in
    clock.advance(seconds=FAILURE_WINDOW.total_seconds() + 1)
    assert sign_in(client, "editor", PASSWORD, address="10.0.0.9").status_code == 302
    assert client.get("/console/account").status_code == 200


def test_failures_from_one_address_lock_that_address_out_of_every_account(
    app: Flask, runtime: Runtime
) -> None:
    make_editor(runtime, "ann")
    make_editor(runtime, "bob")
    attacker = app.test_client()
    for name in ["ann", "bob", "carol", "dave", "erin"]:  # one wrong guess at each account
        assert sign_in(attacker, name, "guess", address="10.0.0.66").status_code == 401
    refused = sign_in(attacker, "bob", PASSWORD, address="10.0.0.66")
    assert refused.status_code == 429
    assert "for this address" in refused.get_data(as_text=True)
    # each account had only one failure: from another address they sign in
    for name in ["ann", "bob"]:
        assert sign_in(app.test_client(), name, address="10.0.0.2").status_code == 302


def test_another_account_is_not_locked_by_failures_against_one(
    app: Flask, runtime: Runtime
) -> None:
    make_editor(runtime, "ann")
    make_editor(runtime, "bob")
    for i in range(MAX_FAILURES):
        sign_in(app.test_client(), "ann", "guess", address=f"10.0.1.{i}")
    assert sign_in(app.test_client(), "ann", address="10.0.2.1").status_code == 429
    assert sign_in(app.test_client(), "bob", address="10.0.2.1").status_code == 302


def test_the_counters_are_shared_by_every_worker(
    app_config: dict[str, Any], runtime: Runtime, runtime_factory: Any, clock: Clock
) -> None:
    make_editor(runtime)
    first = create_app(runtime).test_client()
    another_process = runtime_factory(app_config | {"clock": clock})
    second = create_app(another_process).test_client()
    for i in range(MAX_FAILURES):
        client = first if i % 2 else second
        sign_in(client, "editor", "guess", address="10.0.0.1")
    assert sign_in(first, address="10.0.0.3").status_code == 429
    assert sign_in(second, address="10.0.0.4").status_code == 429


def test_a_success_clears_the_account_s_failures(client: FlaskClient, runtime: Runtime) -> None:
    make_editor(runtime)
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "editor", "guess", address="10.0.0.1")
    assert sign_in(client, address="10.0.0.2").status_code == 302
    post_form(client, "/console/sign-out")
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "editor", "guess", address="10.0.0.3")
    assert sign_in(client, address="10.0.0.4").status_code == 302


# --- sessions and cookies -------------------------------------------------------------------


def test_a_session_expires_after_session_hours(
    client: FlaskClient, runtime: Runtime, clock: Clock
) -> None:
    make_editor(runtime)
    sign_in(client)
    clock.advance(hours=1, minutes=59)
    assert client.get("/console/account").status_code == 200
    clock.advance(minutes=2)
    expired = client.get("/console/account")
    assert expired.status_code == 302 and "/console/sign-in" in expired.location
    page = client.get(expired.location).get_data(as_text=True)
    assert "Your session has expired: sign in again." in page
    clock.advance(minutes=-30)  # the session is gone, not merely out of date
    assert client.get("/console/account").status_code == 302


def test_sign_out_ends_the_session(client: FlaskClient, runtime: Runtime) -> None:
    make_editor(runtime)
    sign_in(client)
    cookie_before = client.get_cookie("wxbot_session")
    assert cookie_before is not None
    response = post_form(client, "/console/sign-out", follow_redirects=True)
    assert "Signed out." in response.get_data(as_text=True)
    assert client.get("/console/account").status_code == 302
    # the old cookie, replayed (copied before), signs nobody in any more
    replay = create_app(runtime).test_client()
    replay.set_cookie("wxbot_session", cookie_before.value)
    assert replay.get("/console/account").status_code == 302


def test_a_new_password_ends_the_account_s_sessions(app: Flask, runtime: Runtime) -> None:
    from wxbot.editors import change_password

    make_editor(runtime)
    client = app.test_client()
    sign_in(client)
    change_password(runtime, "editor", "another password")
    assert client.get("/console/account").status_code == 302


def test_a_removed_account_is_signed_out(app: Flask, runtime: Runtime) -> None:
    make_editor(runtime, "ann", "admin")
    make_editor(runtime, "bob")
    bob = app.test_client()
    sign_in(bob, "bob")
    signed_in = app.test_client()
    sign_in(signed_in, "ann")
    post_form(signed_in, "/console/users/bob/remove")
    assert bob.get("/console/account").status_code == 302


@pytest.mark.parametrize(
    ("public_base_url", "secure"),
    [("http://wxbot.test", False), ("https://wxbot.example.com", True)],
)
def test_the_session_cookie_is_httponly_lax_and_secure_over_https(
    app_config: dict[str, Any], runtime_factory: Any, public_base_url: str, secure: bool
) -> None:
    server = app_config["server"] | {"public_base_url": public_base_url}
    runtime = runtime_factory(app_config | {"server": server})
    make_editor(runtime)
    client = create_app(runtime).test_client()
    base = public_base_url.replace("wxbot.test", "localhost")
    page = client.get("/console/sign-in", base_url=base).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "name": "editor", "password": PASSWORD},
        base_url=base,
        headers={"Referer": f"{base}/console/sign-in"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure
    assert "Expires=" in cookie  # a permanent session: it ends at session_hours


# --- headers ---------------------------------------------------------------------------------


def test_console_pages_may_run_their_own_scripts_and_other_pages_none(
    client: FlaskClient, archive: Runtime
) -> None:
    console = client.get("/console/sign-in")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in console.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no inline script, no other host
    assert policy["default-src"] == "'none'"
    assert console.headers["Cache-Control"] == "no-store"
    archive_page = client.get("/issues")
    assert archive_page.status_code == 200
    assert "script-src" not in archive_page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in archive_page.headers["Content-Security-Policy"]


def test_the_stylesheet_is_served(client: FlaskClient) -> None:
    response = client.get("/console/static/console.css")
    try:
        assert response.status_code == 200 and response.mimetype == "text/css"
    finally:
        response.close()


# --- the audit log ---------------------------------------------------------------------------


def test_sign_in_sign_out_and_failures_are_audited(client: FlaskClient, runtime: Runtime) -> None:
    make_editor(runtime)
    sign_in(client, "editor", "guess", address="10.0.0.1")
    sign_in(client, "nobody", "guess", address="10.0.0.1")
    sign_in(client, address="10.0.0.1")
    post_form(client, "/console/sign-out")
    for _ in range(MAX_FAILURES):
        sign_in(client, "editor", "guess")
    sign_in(client)
    assert audit_lines(runtime) == [
        ("", "sign-in", "editor", "refused"),
        ("", "sign-in", "nobody", "refused"),
        ("editor", "sign-in", "editor", "ok"),
        ("editor", "sign-out", "editor", "ok"),
        *[("", "sign-in", "editor", "refused")] * MAX_FAILURES,
        ("", "sign-in", "editor", "rate-limited"),
    ]


def test_record_writes_who_when_what_and_how(
    app: Flask, client: FlaskClient, runtime: Runtime
) -> None:
    editor = make_editor(runtime)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        audit.record("publish", "2026-06-13", "failed", "errcode 45009", editor=editor)
        entry = audit.recent(limit=1)[0]
    assert (entry.at, entry.editor_id, entry.editor_name, entry.address) == (
        START, editor.id, "editor", "10.1.2.3"
    )  # fmt: skip
    assert (entry.action, entry.subject, entry.outcome, entry.detail) == (
        "publish", "2026-06-13", "failed", "errcode 45009"
    )  # fmt: skip


@pytest.fixture
def app(runtime: Runtime) -> Iterator[Flask]:
    yield create_app(runtime)


def test_behind_a_proxy_the_forwarded_address_is_limited(
    app_config: dict[str, Any], runtime_factory: Any
) -> None:
    server = app_config["server"] | {"proxy_hops": 1}
    runtime = runtime_factory(app_config | {"server": server})
    make_editor(runtime)
    app = create_app(runtime)
    for i in range(MAX_FAILURES):  # everyone comes from the proxy's 127.0.0.1
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
        sign_in(client, f"someone{i}", "guess", address="127.0.0.1")
    other = app.test_client()
    other.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
    assert sign_in(other, address="127.0.0.1").status_code == 302
    attacker = app.test_client()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    assert sign_in(attacker, address="127.0.0.1").status_code == 429
    with runtime.db.begin() as conn:
        addresses = {e.address for e in audit_log.recent_entries(conn)}
    assert addresses == {"203.0.113.7", "198.51.100.2"}
