"""数据统计: what readers did with mass-sent articles, and how the followers grew.

图文分析, one day per call (最大时间跨度 1), for yesterday and earlier:
https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticlesummary.html
https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticletotal
用户分析, at most 7 days per call:
https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusersummary
https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusercumulate
The four live at ``/datacube/<name>``, not under ``/cgi-bin``. Reading changes nothing, so
every call is safe to repeat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..reading_numbers import READ_FIELDS, ArticleDay, ArticleTotal, FollowerDay
from .client import JSON_HEADERS, WeChatApi
from .errors import WeChatNetworkError

#: "最大时间跨度": days one call may cover.
ARTICLE_SPAN_DAYS = 1
USER_SPAN_DAYS = 7


def article_summary(api: WeChatApi, day: dt.date) -> list[ArticleDay]:
    """Return every mass-sent article read on ``day``, with that day's numbers."""
    return [
        ArticleDay(
            _date(row["ref_date"]), str(row["msgid"]), str(row.get("title", "")), _reads(row)
        )
        for row in _list(api, "getarticlesummary", day, day)
    ]


def article_total(api: WeChatApi, day: dt.date) -> list[ArticleTotal]:
    """Return the articles sent on ``day``, one running total per day counted so far."""
    totals = []
    for row in _list(api, "getarticletotal", day, day):
        for detail in row.get("details", []):
            totals.append(
                ArticleTotal(
                    ref_date=_date(row["ref_date"]),
                    stat_date=_date(detail["stat_date"]),
                    msgid=str(row["msgid"]),
                    title=str(row.get("title", "")),
                    target_user=int(detail.get("target_user", 0)),
                    session_read_user=int(detail.get("int_page_from_session_read_user", 0)),
                    numbers=_reads(detail),
                )
            )
    return totals


def follower_days(api: WeChatApi, begin: dt.date, end: dt.date) -> list[FollowerDay]:
    """Return the followers per day from ``begin`` to ``end`` (at most 7 days).

    getusersummary answers one row per day and user_source; they are summed per day.
    """
    if (end - begin).days >= USER_SPAN_DAYS:
        raise ValueError(f"user analysis covers at most {USER_SPAN_DAYS} days per call")
    changes: dict[dt.date, tuple[int, int]] = {}
    for row in _list(api, "getusersummary", begin, end):
        day = _date(row["ref_date"])
        new, cancel = changes.get(day, (0, 0))
        changes[day] = (new + int(row.get("new_user", 0)), cancel + int(row.get("cancel_user", 0)))
    days = []
    for row in _list(api, "getusercumulate", begin, end):
        day = _date(row["ref_date"])
        new, cancel = changes.get(day, (0, 0))
        days.append(FollowerDay(day, new, cancel, int(row.get("cumulate_user", 0))))
    return sorted(days, key=lambda d: d.ref_date)


def _list(api: WeChatApi, name: str, begin: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """POST the date range to ``/datacube/<name>`` and return its ``list``."""
    path = f"datacube/{name}"
    body = {"begin_date": begin.isoformat(), "end_date": end.isoformat()}
    answer = api.call(
        path,
        lambda c: c.post(
            name, data=body, headers=JSON_HEADERS, api_base_url=f"{api.base_url}/datacube/"
        ),
        idempotent=True,
    )
    rows = answer.get("list") if isinstance(answer, dict) else None
    if not isinstance(rows, list):
        raise WeChatNetworkError(path, "the answer carried no list")
    return [row for row in rows if isinstance(row, dict)]


def _reads(row: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(row.get(key, 0) or 0) for key in READ_FIELDS}


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(str(text))
