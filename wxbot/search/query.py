"""Read what a follower typed: a date in the forms people use, a list number, or keywords."""

from __future__ import annotations

import datetime as dt
import functools
import re

from .tokens import normalize

#: Words that ask for the newest issue.
LATEST_WORDS = ("最新", "最新一期", "今天", "今日", "latest", "new", "最近")
#: Words that ask for the menu.
HELP_WORDS = ("帮助", "?", "help", "菜单", "怎么用", "使用说明")
#: Relative days people type, as days before today.
RELATIVE_DAYS = {"昨天": 1, "昨日": 1, "前天": 2, "前日": 2, "大前天": 3}

_SPACES = re.compile(r"\s+")
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_YMD_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MD = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MD_COMPACT = re.compile(r"(\d{2})(\d{2})")
_DAY = re.compile(r"(\d{1,2})\s*[日号]")
_NUMBER = re.compile(r"\d{1,2}")


@functools.lru_cache(maxsize=4096)
def squeeze(text: str) -> str:
    """Return the normalised text with spaces removed, as commands are matched."""
    return _SPACES.sub("", normalize(text))


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """Return the date ``text`` names, or None.

    Forms: 2026-06-13, 2026/6/13, 2026年6月13日, 20260613, 6月13日, 6月13号, 6.13, 6/13,
    0613, 13日, 昨天, 前天. A date without a year is the latest such day not after ``today``.
    """
    text = squeeze(text)
    if text in RELATIVE_DAYS:
        return today - dt.timedelta(days=RELATIVE_DAYS[text])
    for pattern in (_YMD, _YMD_COMPACT):
        if match := pattern.fullmatch(text):
            return _valid(int(match[1]), int(match[2]), int(match[3]))
    for pattern in (_MD, _MD_COMPACT):
        if match := pattern.fullmatch(text):
            return _latest(int(match[1]), int(match[2]), today)
    if match := _DAY.fullmatch(text):
        date = _valid(today.year, today.month, int(match[1]))
        if date is not None and date <= today:
            return date
        previous = today.replace(day=1) - dt.timedelta(days=1)
        return _valid(previous.year, previous.month, int(match[1]))
    return None


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _latest(month: int, day: int, today: dt.date) -> dt.date | None:
    for year in (today.year, today.year - 1):
        date = _valid(year, month, day)
        if date is not None and date <= today:
            return date
    return None


@functools.lru_cache(maxsize=4096)
def looks_like_date(text: str) -> bool:
    """Return whether ``text`` has the form of a date (whether or not that day had an issue)."""
    return parse_date(text, dt.date(9999, 12, 31)) is not None


def list_number(text: str) -> int | None:
    """Return the list item a bare number (1–99) picks, or None."""
    text = squeeze(text)
    return int(text) if _NUMBER.fullmatch(text) and int(text) > 0 else None
