"""Collect reading statistics day by day: each day stored whole and marked, so runs resume.

WeChat has a day's numbers from 08:00 China time on the next day, for yesterday and earlier
(https://developers.weixin.qq.com/doc/service/en/Analytics/User_Analysis_Data_Interface.html:
"query the previous-day data each day before 08:00" is too early). A run looks back
``[stats] look_back_days`` from yesterday and fetches only the days not marked done, oldest
first; a failure stops it after the last finished day, and the next run starts there.
getarticletotal's running totals of a send grow for seven days, so a send day is marked done
only once all seven are in; until then each run fetches it again and replaces its rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..runtime import Runtime
from ..storage import reading_stats as store
from ..wechat import WeChatApi, datacube

logger = logging.getLogger(__name__)

#: The platform's day: China Standard Time, whatever the publishing timezone.
PLATFORM_TZ = ZoneInfo("Asia/Shanghai")
#: Days getarticletotal keeps adding to a send's totals (the send's day is the first).
TOTAL_DAYS = 7
#: After a failed run the worker waits this long before trying again.
RETRY_AFTER = dt.timedelta(hours=1)

ARTICLES, TOTALS, FOLLOWERS = "articles", "totals", "followers"


@dataclass
class Collected:
    """What one run fetched: the days stored per kind, and the calls made."""

    days: dict[str, list[dt.date]] = field(
        default_factory=lambda: {ARTICLES: [], TOTALS: [], FOLLOWERS: []}
    )
    calls: int = 0

    def describe(self) -> str:
        """Return one line for the log or the CLI."""
        parts = [f"{len(days)} {kind} day(s)" for kind, days in self.days.items()]
        return f"collected {', '.join(parts)} in {self.calls} call(s)"


def last_complete_day(now: dt.datetime) -> dt.date:
    """Return yesterday on the platform's calendar: the newest day the data cube answers for."""
    return now.astimezone(PLATFORM_TZ).date() - dt.timedelta(days=1)


def collect(runtime: Runtime, api: WeChatApi, *, account: str = store.DEFAULT_ACCOUNT) -> Collected:
    """Fetch and store every missing day within the look-back, oldest first.

    :raises WeChatError: or :class:`WeChatNetworkError` when a call fails; the days before it
        stay stored and marked.
    """
    last = last_complete_day(runtime.now())
    first = last - dt.timedelta(days=runtime.settings.stats.look_back_days - 1)
    with runtime.db.begin() as conn:
        done = {kind: store.collected_days(conn, account, kind, first) for kind in _KINDS}
    result = Collected()
    day = first
    while day <= last:
        if day not in done[ARTICLES]:
            _articles(runtime, api, account, day)
            result.days[ARTICLES].append(day)
            result.calls += 1
        if day not in done[TOTALS]:
            _totals(runtime, api, account, day, complete=day + dt.timedelta(TOTAL_DAYS - 1) <= last)
            result.days[TOTALS].append(day)
            result.calls += 1
        day += dt.timedelta(days=1)
    missing = [d for d in _days(first, last) if d not in done[FOLLOWERS]]
    for chunk in _runs(missing, datacube.USER_SPAN_DAYS):
        _followers(runtime, api, account, chunk)
        result.days[FOLLOWERS] += chunk
        result.calls += 2
    logger.info("reading statistics: %s", result.describe())
    return result


_KINDS = (ARTICLES, TOTALS, FOLLOWERS)


def _articles(runtime: Runtime, api: WeChatApi, account: str, day: dt.date) -> None:
    rows = datacube.article_summary(api, day)
    with runtime.db.begin_write() as conn:
        store.replace_article_reads(conn, account, day, rows)
        store.mark_collected(conn, account, ARTICLES, [day], runtime.now())


def _totals(
    runtime: Runtime, api: WeChatApi, account: str, day: dt.date, *, complete: bool
) -> None:
    rows = datacube.article_total(api, day)
    with runtime.db.begin_write() as conn:
        store.replace_article_totals(conn, account, day, rows)
        if complete:
            store.mark_collected(conn, account, TOTALS, [day], runtime.now())


def _followers(runtime: Runtime, api: WeChatApi, account: str, days: list[dt.date]) -> None:
    rows = datacube.follower_days(api, days[0], days[-1])
    with runtime.db.begin_write() as conn:
        store.replace_follower_days(conn, account, rows)
        store.mark_collected(conn, account, FOLLOWERS, days, runtime.now())


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _runs(days: list[dt.date], span: int) -> list[list[dt.date]]:
    """Split ascending ``days`` into runs of consecutive days, each at most ``span`` long."""
    runs: list[list[dt.date]] = []
    for day in days:
        current = runs[-1] if runs else None
        if current and len(current) < span and day - current[-1] == dt.timedelta(days=1):
            current.append(day)
        else:
            runs.append([day])
    return runs


class DailyCollection:
    """Run :func:`collect` from the worker once a day from ``[stats] collect_hour`` on."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._next_try: dt.datetime | None = None

    def run_if_due(self) -> Collected | None:
        """Collect when the hour has come and yesterday is not in yet; else do nothing."""
        settings = self.runtime.settings.stats
        now = self.runtime.now()
        if not settings.enabled or not self.runtime.settings.wechat.appid:
            return None
        if now.astimezone(self.runtime.tz).hour < settings.collect_hour:
            return None
        if self._next_try is not None and now < self._next_try:
            return None
        last = last_complete_day(now)
        account = store.DEFAULT_ACCOUNT
        with self.runtime.db.begin_write() as conn:
            if last in store.collected_days(conn, account, FOLLOWERS, last):
                return None
            # Every web worker runs the loop (``[schedule] in_process``): one collects.
            if not store.claim_run(conn, account, last, now):
                return None
        try:
            return collect(self.runtime, WeChatApi(self.runtime), account=account)
        except Exception:
            self._next_try = now + RETRY_AFTER
            with self.runtime.db.begin_write() as conn:
                store.release_run(conn, account, last)
            raise
