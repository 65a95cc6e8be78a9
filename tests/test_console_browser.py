"""A real browser takes an issue through the console, from upload to the published link.

Playwright drives Debian's Chromium (no browser download) against the app served over
loopback by werkzeug, with the WeChat sandbox standing in for Tencent: sign in → upload a
sample → edit the digest → preview → save the draft → schedule for tomorrow → cancel →
publish now → the published link on the dashboard. Each page is checked for what it shows,
for console errors (a script or style the CSP refused counts) and for horizontal overflow
at 1280×800 and 390×844; screenshots are kept in test-artifacts/console/.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS, SAMPLES, serving
from console_support import PASSWORD, make_editor

from wxbot.app import create_app
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "console"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SAMPLE = next(path for path in SAMPLES if "2026-06-25" in path.name)
ISSUE = "2026-06-25"
PREVIEW_OPENID = "oSbx000000000000000000000001"
DIGEST = "浏览器里改过的摘要：新质生产力一周要闻"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")


@pytest.fixture
def served(wechat_config: dict[str, Any], runtime_factory: Any) -> Iterator[tuple[str, Runtime]]:
    """Serve the app over loopback (the sandbox as WeChat); return its URL and runtime."""
    runtime: Runtime = runtime_factory(wechat_config)
    make_editor(runtime, "wang", "admin")
    with serving(create_app(runtime)) as url:
        yield url, runtime


@pytest.fixture
def browser() -> Iterator[Any]:
    """Return a headless Chromium."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """One browser page that records console errors and checks every page it shows."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(viewport=DESKTOP, base_url=base_url)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.shots = 0

    def check(self, name: str) -> str:
        """Screenshot the page at both sizes, refuse overflow and errors; return its text."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            widths = self.page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            self.page.screenshot(
                path=str(ARTIFACTS / f"{self.shots:02d}-{name}-{label}.png"), full_page=True
            )
            assert widths[0] <= widths[1], f"{name} overflows at {label}: {widths}"
        self.page.set_viewport_size(DESKTOP)
        assert self.errors == [], f"console errors on {name}: {self.errors}"
        text: str = self.page.inner_text("main")
        return text

    def submit(self, selector: str) -> None:
        """Click what sends a form or follows a link, and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def flashes(self) -> str:
        """Return the flashed messages of the page shown."""
        found = self.page.query_selector(".flashes")
        return "" if found is None else str(found.inner_text())


def test_an_issue_from_upload_to_the_dashboard_s_published_link(
    served: tuple[str, Runtime], sandbox: SandboxServer, browser: Any
) -> None:
    base_url, runtime = served
    visit = Visit(browser, base_url)
    page = visit.page

    # sign in: a console page sends a visitor to the sign-in form and back
    page.goto("/console/")
    assert "/console/sign-in" in page.url
    visit.check("sign-in")
    page.fill("input[name=name]", "wang")
    page.fill("input[name=password]", PASSWORD)
    visit.submit("button:has-text('Sign in')")
    assert page.url == f"{base_url}/console/"
    assert "The archive is empty" in visit.check("dashboard-empty")

    # upload a sample
    visit.submit("nav >> text=Upload")
    page.set_input_files("input[name=files]", str(SAMPLE))
    visit.submit("button:has-text('Upload')")
    text = visit.check("uploaded")
    assert f"{SAMPLE.name}: added" in text
    visit.submit(f"text=Open {ISSUE}")
    assert page.url == f"{base_url}/console/issues/{ISSUE}"
    text = visit.check("issue")
    assert "Phone preview" in text and "Overrides" in text

    # edit the digest: the live counter counts as the server does, the save keeps it
    page.fill("#override-digest", DIGEST)
    counter = page.inner_text("#count-digest")
    assert counter.startswith(f"{len(DIGEST)} / "), counter
    visit.submit("button:has-text('Save and re-render')")
    assert "Saved" in visit.flashes()
    assert page.input_value("#override-digest") == DIGEST
    visit.check("digest-saved")

    # preview to an editor's openid
    page.check("input[name=kind][value=openid]")
    page.fill("input[name=target]", PREVIEW_OPENID)
    visit.submit("button:has-text('Send preview')")
    assert "Preview of draft version" in visit.flashes()
    visit.check("preview-sent")
    assert [p.touser for p in sandbox.state.previews] == [PREVIEW_OPENID]  # WeChat got it

    # save the draft
    visit.submit("button:has-text('Save to WeChat drafts')")
    assert "Saved to WeChat's draft box" in visit.flashes()
    visit.check("draft-saved")

    # schedule for tomorrow, 09:00 in the account's timezone, then cancel
    tomorrow = (runtime.now().astimezone(runtime.tz) + dt.timedelta(days=1)).date()
    page.fill("input[name=send_at]", f"{tomorrow.isoformat()}T09:00")
    visit.submit("button:has-text('Schedule')")
    scheduled = visit.flashes()
    assert "Scheduled job #" in scheduled and f"{tomorrow.isoformat()} 09:00" in scheduled
    visit.check("scheduled")
    visit.submit("button:has-text('Cancel')")
    assert "nothing is sent" in visit.flashes()
    visit.check("cancelled")

    # publish now: the article's link on the issue page and on the dashboard
    visit.submit("button:has-text('Publish now')")
    assert "Submitted to WeChat (publish_id" in visit.flashes()
    visit.check("publish-submitted")
    deadline = time.monotonic() + 10  # the sandbox finishes a publish in 0.05 s
    while True:
        visit.submit("button:has-text('Check the result')")
        published = visit.flashes()
        if "Published: http" in published or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "Published: http" in published, published
    link = published.split("Published: ", 1)[1].split()[0]
    visit.check("published")
    visit.submit("nav >> text=Dashboard")
    row = page.locator(f"#issue-{ISSUE}")
    assert row.locator(f"a[href='{link}']").count() == 1
    visit.check("dashboard-published")
    visit.context.close()
