"""The users page: only admins list, add and remove accounts and reset passwords."""

from __future__ import annotations

from typing import Any

import pytest
from console_support import PASSWORD, make_editor, post_form, sign_in, signed_in_client
from flask import Flask
from flask.testing import FlaskClient

from wxbot.editors import list_accounts
from wxbot.runtime import Runtime
from wxbot.storage import audit_log


def accounts(runtime: Runtime) -> list[tuple[str, str]]:
    return [(a.name, a.role) for a in list_accounts(runtime)]


def audit_lines(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    with runtime.db.begin() as conn:
        entries = audit_log.recent_entries(conn, limit=1000)
    return [(e.editor_name, e.action, e.subject, e.outcome) for e in reversed(entries)]


@pytest.fixture
def admin(client: FlaskClient, runtime: Runtime) -> FlaskClient:
    return signed_in_client(client, runtime, "ann", "admin")


def test_an_admin_sees_every_account(admin: FlaskClient, runtime: Runtime) -> None:
    make_editor(runtime, "bob")
    page = admin.get("/console/users").get_data(as_text=True)
    assert "<td>ann</td>" in page and "<td>bob</td>" in page
    assert 'href="/console/users"' in page  # the nav shows Users to an admin
    assert "UTC" not in page and "CST (Asia/Shanghai)" in page  # times in the account's zone


def test_an_admin_adds_resets_and_removes_an_account(
    admin: FlaskClient, app: Flask, runtime: Runtime
) -> None:
    form = {"name": "bob", "role": "editor", "password": PASSWORD}
    added = post_form(admin, "/console/users/add", form, follow_redirects=True)
    assert "Added bob (editor)." in added.get_data(as_text=True)
    assert accounts(runtime) == [("ann", "admin"), ("bob", "editor")]
    bob = app.test_client()
    assert sign_in(bob, "bob").status_code == 302

    form = {"password": "a new password"}
    reset = post_form(admin, "/console/users/bob/password", form, follow_redirects=True)
    assert "Changed the password of bob" in reset.get_data(as_text=True)
    assert bob.get("/console/account").status_code == 302  # bob's session ended
    assert sign_in(app.test_client(), "bob", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "bob", "a new password").status_code == 302

    removed = post_form(admin, "/console/users/bob/remove", follow_redirects=True)
    assert "Removed bob." in removed.get_data(as_text=True)
    assert accounts(runtime) == [("ann", "admin")]
    assert [line for line in audit_lines(runtime) if line[1].startswith("user-")] == [
        ("ann", "user-add", "bob", "ok"),
        ("ann", "user-password", "bob", "ok"),
        ("ann", "user-remove", "bob", "ok"),
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "ann", "role": "editor", "password": PASSWORD}, "account 'ann' already exists"),
        ({"name": "bob", "role": "owner", "password": PASSWORD}, "role 'owner': must be editor"),
        ({"name": "bob", "role": "editor", "password": "short"}, "at least 8 characters"),
        ({"name": "bob smith", "role": "editor", "password": PASSWORD}, "use letters, digits"),
        ({"name": "", "role": "editor", "password": PASSWORD}, "name is empty"),
    ],
)
def test_a_bad_account_is_refused_with_the_reason(
    admin: FlaskClient, runtime: Runtime, form: dict[str, str], message: str
) -> None:
    response = post_form(admin, "/console/users/add", form, follow_redirects=True)
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Account not added: " in page and message in page
    assert accounts(runtime) == [("ann", "admin")]
    assert audit_lines(runtime)[-1][1:] == ("user-add", form["name"], "refused")


def test_the_last_admin_cannot_be_removed(admin: FlaskClient, runtime: Runtime) -> None:
    response = post_form(admin, "/console/users/ann/remove", follow_redirects=True)
    assert "is the last admin: add another admin first" in response.get_data(as_text=True)
    assert accounts(runtime) == [("ann", "admin")]


@pytest.mark.parametrize(
    ("method", "url", "form"),
    [
        ("GET", "/console/users", {}),
        ("POST", "/console/users/add", {"name": "eve", "role": "admin", "password": PASSWORD}),
        ("POST", "/console/users/ann/password", {"password": "taken over!"}),
        ("POST", "/console/users/ann/remove", {}),
    ],
)
def test_an_editor_may_not_manage_users(
    client: FlaskClient, runtime: Runtime, method: str, url: str, form: dict[str, Any]
) -> None:
    make_editor(runtime, "ann", "admin")
    signed_in_client(client, runtime, "bob", "editor")
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, form)
    assert response.status_code == 403
    assert "Only an admin may do this" in response.get_data(as_text=True)
    assert accounts(runtime) == [("ann", "admin"), ("bob", "editor")]
    assert sign_in(client, "ann").status_code == 302  # ann's password unchanged


def test_an_editor_is_not_shown_the_users_page(client: FlaskClient, runtime: Runtime) -> None:
    signed_in_client(client, runtime, "bob", "editor")
    page = client.get("/console/account").get_data(as_text=True)
    assert "Dashboard" in page and 'href="/console/users"' not in page
