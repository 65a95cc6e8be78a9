"""A real browser chats with wxbot as a follower, at phone size, through the sandbox's chat page.

Uses Debian's Chromium through Playwright (no browser download); wxbot and the sandbox run
over loopback in safe mode, so every message is signed and encrypted as WeChat's are.
Screenshots are kept under test-artifacts/ at the top of the repository.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS
from test_sandbox_chat import (  # noqa: F401 (fixtures)
    FOLLOWER,
    NEWCOMER,
    Chat,
    chat_factory,
)

from wxbot.sandbox.testing import SandboxApi

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PHONE = {"width": 375, "height": 812}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")

#: How long a reply may take to show (the first search loads jieba's dictionary).
REPLY_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Return a headless Chromium, shared by this module's tests."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def shot(page: Any, name: str) -> None:
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{name}.png"))


def test_a_follower_chats_through_the_menu_and_the_keyboard(
    chat_factory: Callable[..., Chat],  # noqa: F811 (the imported fixture)
    browser: Any,
) -> None:
    chat = chat_factory("safe")
    menu = [
        {"type": "click", "name": "最新一期", "key": "LATEST"},
        {"name": "往期检索", "sub_button": [{"type": "click", "name": "帮助", "key": "HELP"}]},
        {"type": "view", "name": "官网", "url": f"{chat.wxbot_url}/issues"},
    ]
    assert SandboxApi(chat.sandbox.base_url).post("menu/create", {"button": menu})["errcode"] == 0

    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(chat.url, wait_until="load")
        thread = page.locator(".thread:not([hidden])")
        theirs = thread.locator('[data-kind="text"]')
        cards = thread.locator('[data-kind="news"]')

        # a newcomer subscribes and is welcomed; the menu appears once they follow
        page.select_option("#follower", NEWCOMER)
        assert page.locator("#menu").is_hidden()
        page.click("#subscribe")
        cards.first.wait_for(timeout=REPLY_MS)
        welcome = cards.first.locator(".card-description").inner_text()
        assert welcome.startswith("欢迎关注"), welcome
        # the welcome shows as it arrives; the menu once the page has re-read the follower list
        page.locator("#menu").wait_for(state="visible", timeout=REPLY_MS)
        shot(page, "welcome")

        # the menu's 最新一期 answers with the latest issue's card
        page.click("#menu >> text=最新一期")
        cards.nth(1).wait_for(timeout=REPLY_MS)
        assert cards.nth(1).locator(".card-title").inner_text().startswith("6月25日｜")

        # a keyword answers with a list, its number with that card
        page.fill("#text", "数据要素")
        page.press("#text", "Enter")
        theirs.first.wait_for(timeout=REPLY_MS)
        listed = theirs.first.inner_text()
        assert listed.startswith("与“数据要素”相关的日报：\n1. ")
        first_link = theirs.first.locator("a").first.get_attribute("href")
        page.fill("#text", "1")
        page.press("#text", "Enter")
        cards.nth(2).wait_for(timeout=REPLY_MS)
        card = cards.nth(2)
        assert card.get_attribute("href") == first_link
        title = card.locator(".card-title").inner_text()
        shot(page, "card")

        found = page.evaluate(
            """() => ({
              scrollWidth: document.documentElement.scrollWidth,
              pictures: [...document.querySelectorAll('.card-picture')].map(
                i => i.complete && i.naturalWidth > 0),
              sent: [...document.querySelectorAll('[data-kind="sent"]')].map(e => e.textContent),
            })"""
        )
        assert found["scrollWidth"] <= PHONE["width"], "the page scrolls sideways"
        assert found["pictures"] == [True, True, True]
        assert found["sent"] == ["数据要素", "1"]

        # the card's link opens the article
        with context.expect_page() as opened:
            card.click()
        article = opened.value
        article.wait_for_load_state("load")
        assert article.url == first_link
        assert title.split("｜", 1)[1] in article.locator("body").inner_text()
        shot(article, "article")
    finally:
        context.close()
    assert errors == []


def test_a_late_answer_shows_as_a_bubble(
    chat_factory: Callable[..., Chat],  # noqa: F811 (the imported fixture)
    slow_search: threading.Event,
    browser: Any,
) -> None:
    chat = chat_factory("safe", callback={"late_answer_budget": 0.3})
    page = browser.new_page(viewport=PHONE)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(chat.url, wait_until="load")
        page.select_option("#follower", FOLLOWER)
        page.fill("#text", "数据要素")
        with page.expect_response(lambda r: r.url.endswith("/sandbox/chat/send")) as sent:
            page.press("#text", "Enter")
        assert sent.value.json()["replies"] == []  # `success` within the budget: no bubble yet
        slow_search.set()
        late = page.locator('.thread:not([hidden]) [data-late="true"]')
        late.first.wait_for(timeout=REPLY_MS)
        assert late.first.inner_text().startswith("与“数据要素”相关的日报：")
        shot(page, "late-answer")
    finally:
        page.close()
    assert errors == []
