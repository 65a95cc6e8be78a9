"""Built-in commands and events, and the order replies are looked for in.

Order: editors' keyword rules → built-in commands (latest, help, dates, list numbers) →
archive search. Events route by name: subscribe, CLICK menu keys, the two job events.
"""

from __future__ import annotations

import logging

from .. import publishing
from ..search.answers import (
    Answer,
    Item,
    date_label,
    help_text,
    news_answer,
    silent,
    text_answer,
)
from ..search.query import HELP_WORDS, LATEST_WORDS, list_number, looks_like_date, parse_date
from ..wechat.events import JobEvent
from .keyword_rules import list_rules, match_rule
from .registry import Context, Registry

logger = logging.getLogger(__name__)

registry = Registry()

#: Menu keys (CLICK events) and the command each stands for.
MENU_KEYS = {"LATEST": "latest", "HELP": "help"}


def answer_message(ctx: Context) -> Answer:
    """Return the answer to a message or event, looking in the documented order."""
    message = ctx.message
    if message.msg_type == "event":
        handler = registry.event_handler(message.event)
        answer = handler(ctx) if handler is not None else None
        return answer or silent("event")
    if not message.content.strip():  # images, links, locations; voice without recognition
        return text_answer(_help(ctx), "unsupported")
    rules = ctx.search.cached(("rules",), lambda: list_rules(ctx.runtime))
    rule = match_rule(rules, message.content)
    if rule is not None:
        return text_answer(rule.reply, "rule")
    for handler in registry.keyword_handlers(message.content):
        answer = handler(ctx)
        if answer is not None:
            return answer
    return ctx.search.answer(message.content)


def _help(ctx: Context) -> str:
    series = ctx.runtime.settings.brand.series_name
    return help_text(series, ctx.search.settings.popular_keywords)


@registry.keyword(*LATEST_WORDS)
def latest(ctx: Context) -> Answer:
    """Answer with the newest issue."""
    item = ctx.search.latest_item()
    if item is None:
        return text_answer("还没有日报，敬请期待。", "latest")
    return news_answer(item, "latest")


@registry.keyword(*HELP_WORDS)
def help_menu(ctx: Context) -> Answer:
    """Answer with the menu and example keywords."""
    return text_answer(_help(ctx), "help")


@registry.keyword(match=looks_like_date)
def issue_of_day(ctx: Context) -> Answer | None:
    """Answer with the issue of the date the follower typed, or the nearest ones."""
    date = parse_date(ctx.text, ctx.today)
    if date is None:
        return None
    item = ctx.search.issue_item(date.isoformat())
    if item is not None:
        return news_answer(item, "date")
    before, after = ctx.search.neighbours(date)
    lines = [f"{date.month}月{date.day}日没有日报。"]
    for issue_id in (before, after):
        near = ctx.search.issue_item(issue_id) if issue_id else None
        if near is not None:
            lines.append(f'<a href="{near.url}">{date_label(near.issue_id)}的日报</a>')
    return text_answer("\n".join(lines), "date")


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
    return news_answer(item, "item")


@registry.event("subscribe")
def welcome(ctx: Context) -> Answer:
    """Welcome a new follower with the latest issue and the menu."""
    lines = [ctx.runtime.settings.callback.welcome_text]
    item = ctx.search.latest_item()
    if item is not None:
        lines.append(
            f'最新一期：<a href="{item.url}">{date_label(item.issue_id)} {item.heading}</a>'
        )
    lines.append("回复关键词查找往期日报，回复“帮助”查看用法。")
    return text_answer("\n".join(lines), "welcome")


@registry.event("CLICK")
def menu_click(ctx: Context) -> Answer:
    """Answer a menu click by its key (LATEST, HELP)."""
    command = MENU_KEYS.get(ctx.message.event_key.upper())
    if command == "latest":
        return latest(ctx)
    if command == "help":
        return help_menu(ctx)
    logger.info("callback: no command for menu key %r", ctx.message.event_key)
    return silent("click")


@registry.event("unsubscribe", "VIEW")
def nothing_to_say(ctx: Context) -> Answer:
    """Answer nothing (unsubscribing, opening a menu link)."""
    return silent("event")


@registry.event("PUBLISHJOBFINISH", "MASSSENDJOBFINISH")
def job_finished(ctx: Context) -> Answer:
    """Hand a finished publish or mass send to the publishing records."""
    if ctx.message.job is not None:
        hand_over(ctx, ctx.message.job)
    return silent("job")


def hand_over(ctx: Context, job: JobEvent) -> None:
    """Give a job event to the publishing records (``wxbot.publishing.on_wechat_event``)."""
    publishing.on_wechat_event(ctx.runtime, job)
