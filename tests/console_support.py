"""What console tests share: accounts, signing in, and posting a form with its CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from wxbot.editors import Editor, add_editor
from wxbot.runtime import Runtime

#: A password every test account may share (long enough for the account rules).
PASSWORD = "correct horse battery"

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def make_editor(
    runtime: Runtime, name: str = "editor", role: str = "editor", password: str = PASSWORD
) -> Editor:
    """Create an account as ``wxbot user add`` does and return it."""
    return add_editor(runtime, name, role, password)


def csrf_token(client: FlaskClient, page: str = "/console/sign-in") -> str:
    """Return the CSRF token of ``page`` (its form's hidden field, or base.html's meta tag)."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    found = _TOKEN.search(response.get_data(as_text=True))
    assert found, f"no CSRF token on {page}"
    return found.group(1) or found.group(2)


def post_form(
    client: FlaskClient,
    url: str,
    data: Mapping[str, Any] | None = None,
    *,
    page: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    """POST ``data`` to ``url`` as the form on ``page`` does (default: a page with the token).

    The token belongs to the session, so any console page's token serves; ``page`` names
    the one the form lives on when the test means it. ``kwargs`` go to ``client.post``
    (``follow_redirects``, ``environ_base``…).
    """
    token = csrf_token(client, page or "/console/sign-in")
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def sign_in(
    client: FlaskClient,
    name: str = "editor",
    password: str = PASSWORD,
    *,
    address: str | None = None,
    next_page: str | None = None,
) -> TestResponse:
    """Sign in through the sign-in form (from ``address`` if given); return the response."""
    data = {"name": name, "password": password}
    if next_page:
        data["next"] = next_page
    extra: dict[str, Any] = {}
    if address:
        extra["environ_base"] = {"REMOTE_ADDR": address}
    return post_form(client, "/console/sign-in", data, **extra)


def signed_in_client(
    client: FlaskClient, runtime: Runtime, name: str = "editor", role: str = "editor"
) -> FlaskClient:
    """Return ``client`` signed in as a new account ``name`` with ``role``."""
    make_editor(runtime, name, role)
    response = sign_in(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class Clock:
    """A runtime clock the test moves by hand (sessions and rate limits read it)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``datetime.timedelta(**delta)``."""
        self.now += dt.timedelta(**delta)
