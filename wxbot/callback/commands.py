"""Built-in commands and events, and the order replies are looked for in.

Order: editors' keyword rules → built-in commands (latest, help, dates, list numbers) →
archive search. Events route by name: subscribe, CLICK menu keys, the two job events.
Menu clicks answer the keys of the account's own menu (``[menu]``, or its
``[accounts.<name>] menu``; :func:`wxbot.config.menu.click_action`: LATEST, HELP,
SEARCH:<keywords>), so every key of the configured menu has an answer.
https://developers.weixin.qq.com/doc/service/guide/product/menu/Custom_Menu_Push_Events.html
"""

from __future__ import annotations

import logging

from .. import publishing
from ..config.menu import click_action
from ..search.query import HELP_WORDS, LATEST_WORDS, list_number, looks_like_date, parse_date
from ..search.results import Item
from ..wechat.events import JobEvent
from . import replies
from .keyword_rules import list_rules, match_rule
from .registry import Context, Registry
from .replies import Answer

logger = logging.getLogger(__name__)

registry = Registry()


def answer_message(ctx: Context) -> Answer:
    """Return the answer to a message or event, looking in the documented order."""
    message = ctx.message
    if message.msg_type == "event":
        handler = registry.event_handler(message.event)
        answer = handler(ctx) if handler is not None else None
        return answer or replies.silent("event")
    if not message.content.strip():  # images, links, locations; voice without recognition
        return replies.text_answer(_help(ctx), "unsupported")
    # The search (and its cache) is every account's; the rules are the account's own.
    rules = ctx.search.cached(("rules", ctx.runtime.account), lambda: list_rules(ctx.runtime))
    rule = match_rule(rules, message.content)
    if rule is not None:
        item = ctx.search.issue_item(rule.issue_id) if rule.issue_id else None
        if item is not None:
            return replies.news_answer(item, "rule")
        if rule.reply:
            return replies.text_answer(rule.reply, "rule")
    for handler in registry.keyword_handlers(message.content):
        answer = handler(ctx)
        if answer is not None:
            return answer
    return answer_query(ctx, message.content)


def answer_query(ctx: Context, query: str, handler: str = "search") -> Answer:
    """Answer a keyword query from the archive search (cached as the search is)."""

    def answer() -> Answer:
        keywords = ctx.search.settings.popular_keywords
        return replies.search_answer(ctx.search.search(query), query, keywords, handler)

    return ctx.search.cached(("answer", query.strip(), handler), answer)


def _help(ctx: Context) -> str:
    series = ctx.runtime.settings.brand.series_name
    return replies.help_text(series, ctx.search.settings.popular_keywords)


@registry.keyword(*LATEST_WORDS)
def latest(ctx: Context) -> Answer:
    """Answer with the newest issue."""
    item = ctx.search.latest_item()
    if item is None:
        return replies.no_issues_yet("latest")
    return replies.news_answer(item, "latest")


@registry.keyword(*HELP_WORDS)
def help_menu(ctx: Context) -> Answer:
    """Answer with the menu and example keywords."""
    return replies.text_answer(_help(ctx), "help")


@registry.keyword(match=looks_like_date)
def issue_of_day(ctx: Context) -> Answer | None:
    """Answer with the issue of the date the follower typed, or the nearest ones."""
    date = parse_date(ctx.text, ctx.today)
    if date is None:
        return None
    item = ctx.search.issue_item(date.isoformat())
    if item is not None:
        return replies.news_answer(item, "date")
    nearest = [ctx.search.issue_item(i) for i in ctx.search.neighbours(date) if i]
    return replies.no_issue_on(date, [n for n in nearest if n is not None], "date")


@registry.keyword(match=lambda text: list_number(text) is not None)
def list_item(ctx: Context) -> Answer | None:
    """Answer a number with that item of the last list the follower saw."""
    number = list_number(ctx.text)
    items = ctx.last_list()
    if number is None or not 1 <= number <= len(items):
        return None
    chosen = items[number - 1]
    current = ctx.search.issue_item(chosen["issue_id"])
    if current is None:
        return None
    item = Item(
        issue_id=current.issue_id,
        heading=chosen.get("heading") or current.heading,
        snippet=current.snippet,
        url=current.url,
        cover_url=current.cover_url,
    )
    return replies.news_answer(item, "item")


@registry.event("subscribe")
def welcome(ctx: Context) -> Answer:
    """Welcome a new follower with the latest issue's card carrying the welcome text.

    https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
    "用户在关注与取消关注公众号时，微信会把这个事件推送到开发者填写的URL。方便开发者给用户下发
    欢迎消息": the welcome is the event's one passive reply.
    """
    greeting = ctx.runtime.settings.callback.welcome_text
    return replies.welcome(greeting, ctx.search.latest_item(), "welcome")


@registry.event("CLICK")
def menu_click(ctx: Context) -> Answer:
    """Answer a menu click by its key (EventKey): the newest issue, the help, or a search.

    A key the account's menu does not hold (an old menu still cached on a phone, another
    account's menu) gets the help text.
    """
    key = ctx.message.event_key
    action = click_action(key) if key in ctx.runtime.settings.menu.click_keys() else None
    if action is None:
        logger.info("callback: no command for menu key %r: help", ctx.message.event_key)
        return replies.text_answer(_help(ctx), "click")
    if action.command == "latest":
        return latest(ctx)
    if action.command == "help":
        return help_menu(ctx)
    return answer_query(ctx, action.query, "menu")


@registry.event("unsubscribe", "VIEW")
def nothing_to_say(ctx: Context) -> Answer:
    """Answer nothing (unsubscribing, opening a menu link)."""
    return replies.silent("event")


@registry.event("PUBLISHJOBFINISH", "MASSSENDJOBFINISH")
def job_finished(ctx: Context) -> Answer:
    """Hand a finished publish or mass send to the publishing records."""
    if ctx.message.job is not None:
        hand_over(ctx, ctx.message.job)
    return replies.silent("job")


def hand_over(ctx: Context, job: JobEvent) -> None:
    """Give a job event to the publishing records (``wxbot.publishing.on_wechat_event``)."""
    publishing.on_wechat_event(ctx.runtime, job)
