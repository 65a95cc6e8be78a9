"""The web application's pages: headers that keep browsers from sniffing, framing, scripting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS, serving
from console_support import PASSWORD, make_editor, signed_in_client
from flask import Flask
from flask.testing import FlaskClient

from wxbot.runtime import Runtime

PAGES = [
    "/issues/2026-06-13",
    "/console/issues/2026-06-13/preview",
    "/issues",
    "/issues/1999-01-01",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_security_headers(client: FlaskClient, archive: Runtime, path: str) -> None:
    signed_in_client(client, archive)  # the preview is for editors
    page = client.get(path)
    assert page.mimetype == "text/html", path
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy


def test_images_are_not_sniffed(client: FlaskClient, archive: Runtime) -> None:
    cover = client.get("/issues/2026-06-13/cover.jpg")
    assert cover.status_code == 200
    assert cover.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def served(app: Flask, archive: Runtime) -> Iterator[str]:
    """Return the URL of the app served on 127.0.0.1."""
    with serving(app) as url:
        yield url


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_served_preview_works_under_its_policy(served: str, archive: Runtime) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    make_editor(archive)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            refused: list[str] = []
            page.on("console", lambda m: refused.append(m.text) if "Security" in m.text else None)
            page.goto(f"{served}/issues/2026-06-13/preview", wait_until="load")
            page.fill("input[name=name]", "editor")  # the preview is for signed-in editors
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{served}/console/issues/2026-06-13/preview")
            found: dict[str, Any] = page.evaluate(
                """() => ({
                  images: [...document.images].map(i => i.complete && i.naturalWidth > 0),
                  background: getComputedStyle(document.body).backgroundColor,
                })"""
            )
        finally:
            browser.close()
    assert refused == []
    assert found["images"] and all(found["images"]), found
    assert found["background"] == "rgb(237, 237, 237)"  # the page's inline stylesheet applies


# --- the secret key signing editors' sessions --------------------------------------------------


def test_the_app_refuses_to_start_without_a_secret_key(
    app_config: dict[str, Any], runtime_factory: Any
) -> None:
    from wxbot.app import create_app
    from wxbot.errors import ConfigError

    server = app_config["server"] | {"secret_key": ""}
    runtime = runtime_factory(app_config | {"server": server})
    with pytest.raises(ConfigError, match=r"^server\.secret_key: required to serve"):
        create_app(runtime)


def test_the_procfile_app_stops_its_worker_with_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from wxbot.app import WORKER_BOOT_ERROR, create_app

    monkeypatch.setenv("WXBOT_STORAGE__DATABASE_URL", database_url)
    monkeypatch.delenv("WXBOT_SERVER__SECRET_KEY", raising=False)
    monkeypatch.delenv("WXBOT_CONFIG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == WORKER_BOOT_ERROR  # gunicorn's master stops, not respawns
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "CRITICAL"]
    assert line.startswith("wxbot cannot start: server.secret_key: required to serve")


def test_serve_refuses_to_start_without_a_secret_key(
    app_config: dict[str, Any], run_cli: Any
) -> None:
    app_config["server"] = app_config["server"] | {"secret_key": ""}
    result = run_cli("serve")
    assert result.exit_code == 1
    assert result.output.startswith("Error: invalid configuration: server.secret_key: required")
    assert len(result.output.splitlines()) == 1
