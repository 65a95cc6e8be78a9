"""数据统计: the four data-cube endpoints wxbot collects, answered from the sandbox's own sends.

图文分析 (articles), one day per call ("最大时间跨度" 1: begin_date must equal end_date):
https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticlesummary.html
https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticletotal
用户分析 (followers), at most 7 days per call ("结束日期(最大跨度7天)"):
https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusersummary
https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusercumulate
Shared by all four (User_Analysis_Data_Interface.html): "begin_date和end_date的差值需小于
“最大时间跨度”…否则会报错" and "end_date允许设置的最大值为昨日". A date that is not
``YYYY-MM-DD`` is answered 61500 (wechatpy's ``DATE_FORMAT_ERROR``, 日期格式错误); a range
that breaks those rules 61501 (the global return codes' 日期范围错误; a field report quotes the
answer to a two-day getarticlesummary: community/develop/doc/000c02602e01c013cdea1c05051800).

The numbers are made up but follow from what the sandbox holds, deterministically, so tests
can compare wxbot's aggregates with :func:`expected`: each successful mass send reaches its
recipients (``target_user``); an article is read for seven days from its send ("最多统计
群发后7天内的数据", the same thread), most on the first day, less for later items of the send;
followers grow by a few a day and ``cumulate_user`` of yesterday is today's follower count.
Only mass sends count: the list holds "所有被阅读过的文章(仅包括群发的文章)".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .limits import PLATFORM_UTC_OFFSET_SECONDS
from .protocol import ApiError, Call, Reply, require
from .state import MassSend

if TYPE_CHECKING:
    from .account import Account

DATE_FORMAT_ERROR = 61500
DATE_RANGE_ERROR = 61501
#: "最大时间跨度": days one call may cover.
MAX_SPAN_DAYS = {
    "datacube/getarticlesummary": 1,
    "datacube/getarticletotal": 1,
    "datacube/getusersummary": 7,
    "datacube/getusercumulate": 7,
}
#: Days an article keeps being counted after its send (the send's day is the first).
READ_DAYS = 7
#: Share of the recipients who open the first item on each day after the send.
DAILY_READ_SHARE = (0.18, 0.07, 0.03, 0.015, 0.008, 0.005, 0.003)
#: Where readers came from (getarticletotal's int_page_from_*), in percent; "other" takes the rest.
READ_SOURCES = (("session", 60), ("hist_msg", 8), ("feed", 15), ("friends", 10))
#: The statuses of a send whose articles followers could open (a deleted one was read before).
READ_STATUSES = ("SEND_SUCCESS", "DELETE")


def platform_date(epoch: float) -> dt.date:
    """Return the day in China Standard Time that ``epoch`` falls on."""
    return dt.datetime.fromtimestamp(epoch + PLATFORM_UTC_OFFSET_SECONDS, dt.UTC).date()


def _hash(*parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "big")


def _day_range(begin: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = begin
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _dates(account: Account, call: Call) -> tuple[dt.date, dt.date]:
    """Return the call's begin and end dates, checked against the endpoint's window."""
    body = call.json()
    parsed = []
    for key in ("begin_date", "end_date"):
        text = require(body, key)
        try:
            if len(text) != 10:
                raise ValueError(text)
            parsed.append(dt.date.fromisoformat(text))
        except ValueError:
            raise ApiError(DATE_FORMAT_ERROR, f"{key} must be yyyy-MM-dd") from None
    begin, end = parsed
    yesterday = platform_date(account.now()) - dt.timedelta(days=1)
    span = MAX_SPAN_DAYS[call.name]
    if end < begin:
        raise ApiError(DATE_RANGE_ERROR, "end_date is before begin_date")
    if end > yesterday:
        raise ApiError(DATE_RANGE_ERROR, "end_date允许设置的最大值为昨日")
    if (end - begin).days >= span:
        raise ApiError(DATE_RANGE_ERROR, f"最大时间跨度 {span} day(s)")
    return begin, end


def _read_sends(account: Account) -> list[MassSend]:
    return [m for m in account.state.mass_sends if m.status in READ_STATUSES]


def _article_day(send: MassSend, idx: int, day: dt.date) -> dict[str, int]:
    """Return one article's numbers for one day (all zero outside its seven days)."""
    offset = (day - platform_date(send.submitted_at)).days
    if not 0 <= offset < READ_DAYS:
        return dict.fromkeys(_SUMMARY_FIELDS, 0)
    jitter = 0.85 + (_hash(send.msg_data_id, idx, day) % 31) / 100
    readers = int(len(send.recipients) * DAILY_READ_SHARE[offset] / idx * jitter)
    original = readers // 8 if send.articles[idx - 1].get("content_source_url") else 0
    sharers = readers // 12
    favourers = readers // 30
    return {
        "int_page_read_user": readers,
        "int_page_read_count": readers + readers // 4,
        "ori_page_read_user": original,
        "ori_page_read_count": original + original // 5,
        "share_user": sharers,
        "share_count": sharers + sharers // 3,
        "add_to_fav_user": favourers,
        "add_to_fav_count": favourers,
    }


_SUMMARY_FIELDS = (
    "int_page_read_user",
    "int_page_read_count",
    "ori_page_read_user",
    "ori_page_read_count",
    "share_user",
    "share_count",
    "add_to_fav_user",
    "add_to_fav_count",
)


def _by_source(numbers: dict[str, int]) -> dict[str, int]:
    """Split the reads by where readers came from, as getarticletotal's details do."""
    out: dict[str, int] = {}
    for unit in ("user", "count"):
        total = numbers[f"int_page_read_{unit}"]
        left = total
        for source, percent in READ_SOURCES:
            part = total * percent // 100
            out[f"int_page_from_{source}_read_{unit}"] = part
            left -= part
        out[f"int_page_from_other_read_{unit}"] = left
    for unit, name in (("user", "user"), ("count", "cnt")):
        shared = numbers[f"share_{unit}"]
        out[f"feed_share_from_session_{name}"] = shared * 7 // 10
        out[f"feed_share_from_feed_{name}"] = shared * 2 // 10
        out[f"feed_share_from_other_{name}"] = shared - shared * 7 // 10 - shared * 2 // 10
    return out


def _msgid(send: MassSend, idx: int) -> str:
    """Return the article's msgid: "<msg_data_id>_<index>", e.g. 12003_3."""
    return f"{send.msg_data_id}_{idx}"


def get_article_summary(account: Account, call: Call) -> Reply:
    """Answer every mass-sent article read on the day, with that day's numbers."""
    day, _ = _dates(account, call)
    rows = []
    for send in _read_sends(account):
        for idx, article in enumerate(send.articles, start=1):
            numbers = _article_day(send, idx, day)
            if numbers["int_page_read_count"] or numbers["ori_page_read_count"]:
                rows.append(
                    {
                        "ref_date": day.isoformat(),
                        "msgid": _msgid(send, idx),
                        "title": article.get("title", ""),
                        **numbers,
                    }
                )
    return Reply({"list": rows})


def get_article_total(account: Account, call: Call) -> Reply:
    """Answer the articles sent on the day, with running totals per day since the send."""
    day, _ = _dates(account, call)
    yesterday = platform_date(account.now()) - dt.timedelta(days=1)
    last = min(day + dt.timedelta(days=READ_DAYS - 1), yesterday)
    rows = []
    for send in _read_sends(account):
        if platform_date(send.submitted_at) != day:
            continue
        for idx, article in enumerate(send.articles, start=1):
            running = dict.fromkeys(_SUMMARY_FIELDS, 0)
            details = []
            for stat_date in _day_range(day, last):
                for key, value in _article_day(send, idx, stat_date).items():
                    running[key] += value
                details.append(
                    {
                        "stat_date": stat_date.isoformat(),
                        "target_user": len(send.recipients),
                        **running,
                        **_by_source(running),
                    }
                )
            rows.append(
                {
                    "ref_date": day.isoformat(),
                    "msgid": _msgid(send, idx),
                    "title": article.get("title", ""),
                    "user_source": 0,
                    "details": details,
                }
            )
    return Reply({"list": rows})


def follower_days(account: Account, begin: dt.date, end: dt.date) -> dict[dt.date, dict[str, int]]:
    """Return new, cancelled and total followers per day, ending at yesterday's count."""
    yesterday = platform_date(account.now()) - dt.timedelta(days=1)
    base = max(1, len(account.state.followers) // 100)
    days: dict[dt.date, dict[str, int]] = {}
    total = len(account.state.followers)
    for day in reversed(list(_day_range(min(begin, yesterday), yesterday))):
        new = base + _hash("new", day) % (2 * base + 1)
        cancel = _hash("cancel", day) % (base + 1)
        days[day] = {"new_user": new, "cancel_user": cancel, "cumulate_user": total}
        total -= new - cancel
    return {d: days[d] for d in _day_range(begin, end) if d in days}


def get_user_summary(account: Account, call: Call) -> Reply:
    """Answer new and cancelled followers per day (all from one user_source, 0)."""
    begin, end = _dates(account, call)
    rows = [
        {
            "ref_date": day.isoformat(),
            "user_source": 0,
            "new_user": numbers["new_user"],
            "cancel_user": numbers["cancel_user"],
        }
        for day, numbers in sorted(follower_days(account, begin, end).items())
    ]
    return Reply({"list": rows})


def get_user_cumulate(account: Account, call: Call) -> Reply:
    """Answer the total followers at the end of each day."""
    begin, end = _dates(account, call)
    rows = [
        {"ref_date": day.isoformat(), "cumulate_user": numbers["cumulate_user"]}
        for day, numbers in sorted(follower_days(account, begin, end).items())
    ]
    return Reply({"list": rows})


def expected(account: Account) -> dict[str, Any]:
    """Return what the data cube holds up to yesterday: per article totals, followers per day.

    Served in ``GET /sandbox/state`` as ``datacube``, so tests check wxbot's sums against it.
    """
    yesterday = platform_date(account.now()) - dt.timedelta(days=1)
    articles = []
    first = yesterday
    for send in _read_sends(account):
        sent = platform_date(send.submitted_at)
        first = min(first, sent)
        for idx, article in enumerate(send.articles, start=1):
            sums = dict.fromkeys(_SUMMARY_FIELDS, 0)
            for day in _day_range(sent, yesterday):
                for key, value in _article_day(send, idx, day).items():
                    sums[key] += value
            articles.append(
                {
                    "msgid": _msgid(send, idx),
                    "title": article.get("title", ""),
                    "ref_date": sent.isoformat(),
                    "target_user": len(send.recipients),
                    **sums,
                }
            )
    followers = follower_days(account, first, yesterday)
    return {
        "yesterday": yesterday.isoformat(),
        "articles": articles,
        "followers": {day.isoformat(): numbers for day, numbers in sorted(followers.items())},
    }


def seed_history(account: Account, followers: int, sends: list[dict[str, Any]]) -> list[int]:
    """Grow the followers to ``followers`` and add past, finished mass sends; return msg_data_ids.

    Each send is ``{"date": "YYYY-MM-DD", "titles": [...]}``: sent at 20:00 China time that day
    to every follower, successfully — the history a month of statistics is read from.
    """
    from .account import follower_openid

    with account.lock:
        state = account.state
        for number in range(len(state.followers) + 1, followers + 1):
            state.followers.setdefault(follower_openid(number), set())
        made = []
        for item in sends:
            day = dt.date.fromisoformat(str(item["date"]))
            titles = [str(t) for t in item["titles"]]
            if not titles:
                raise ValueError(f"{day}: a send needs at least one title")
            at = dt.datetime.combine(day, dt.time(20), dt.UTC).timestamp()
            at -= PLATFORM_UTC_OFFSET_SECONDS
            if at >= account.now():
                raise ValueError(f"{day}: history must lie in the past")
            send = MassSend(
                msg_id=state.number(),
                msg_data_id=state.number(),
                event_msg_id=state.number(),
                media_id=state.new_id(),
                clientmsgid=f"history-{day}-{len(state.mass_sends)}",
                clientmsgid_given=True,
                is_to_all=True,
                tag_id=None,
                send_ignore_reprint=0,
                articles=[{"title": t, "content": "<p>…</p>"} for t in titles],
                recipients=sorted(state.followers),
                submitted_at=at,
                due_at=at,
                status="SEND_SUCCESS",
                finished_at=at,
            )
            state.mass_sends.append(send)
            made.append(send.msg_data_id)
        return made
