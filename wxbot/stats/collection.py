"""Collect reading statistics day by day: each day stored whole and marked, so runs resume.

WeChat has a day's numbers from 08:00 China time on the next day, for yesterday and earlier
(https://developers.weixin.qq.com/doc/service/en/Analytics/User_Analysis_Data_Interface.html:
"query the previous-day data each day before 08:00" is too early). A run looks back
``[stats] look_back_days`` from yesterday and fetches only the days not marked done, oldest
first; a failure stops it after the last finished day, and the next run starts there.
getarticletotal's running totals of a send grow for seven days, so a send day is marked done
only once all seven are in; until then each run fetches it again and replaces its rows.

Every configured account is collected with its own token, into rows keyed by its name: one
account failing leaves the others collected, and resumes alone on the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
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


@dataclass
class AccountsCollected:
    """What a run over several accounts did: each account's days, or what stopped it."""

    collected: dict[str, Collected] = field(default_factory=dict)
    failed: dict[str, Exception] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """Return one line per account, for the log or the CLI."""
        lines = [f"{name}: {done.describe()}" for name, done in self.collected.items()]
        lines += [f"{name}: not collected: {error}" for name, error in self.failed.items()]
        return lines


def collect(runtime: Runtime, api: WeChatApi) -> Collected:
    """Fetch and store every missing day of ``runtime``'s account within the look-back.

    :raises WeChatError: or :class:`WeChatNetworkError` when a call fails; the days before it
        stay stored and marked.
    """
    account = runtime.account
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
    logger.info("reading statistics of %s: %s", account, result.describe())
    return result


def collect_each(runtimes: Iterable[Runtime]) -> AccountsCollected:
    """Collect every account of ``runtimes`` in turn, each with its own token; go on past failures.

    A failure is logged with its account and kept in :attr:`AccountsCollected.failed`; the
    days that account finished stay stored, so its next run starts after them.
    """
    result = AccountsCollected()
    for runtime in runtimes:
        try:
            result.collected[runtime.account] = collect(runtime, WeChatApi(runtime))
        except Exception as exc:  # one account's failure must not cost the others their day
            logger.exception("reading statistics of %s not collected", runtime.account)
            result.failed[runtime.account] = exc
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
    """Run :func:`collect` for every account from the worker, once a day from ``collect_hour``.

    Each account has its own day mark, claim and retry time: one that failed is tried again
    an hour later while the others stay done.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._next_try: dict[str, dt.datetime] = {}

    def run_if_due(self) -> AccountsCollected | None:
        """Collect the accounts whose yesterday is not in yet, once the hour has come.

        :return: what was collected and what failed, or None when no account was due.
        """
        settings = self.runtime.settings.stats
        now = self.runtime.now()
        if not settings.enabled:
            return None
        if now.astimezone(self.runtime.tz).hour < settings.collect_hour:
            return None
        last = last_complete_day(now)
        due = [r for r in self.runtime.accounts() if self._claim(r, last, now)]
        if not due:
            return None
        result = collect_each(due)
        for name in result.failed:
            self._next_try[name] = now + RETRY_AFTER
            with self.runtime.db.begin_write() as conn:
                store.release_run(conn, name, last)
        return result

    def _claim(self, runtime: Runtime, last: dt.date, now: dt.datetime) -> bool:
        """Take the account's day unless it is done, waiting out a failure, or another's."""
        account = runtime.account
        if not runtime.settings.wechat.appid:
            return False
        next_try = self._next_try.get(account)
        if next_try is not None and now < next_try:
            return False
        with self.runtime.db.begin_write() as conn:
            if last in store.collected_days(conn, account, FOLLOWERS, last):
                return False
            # Every web worker runs the loop (``[schedule] in_process``): one collects.
            return store.claim_run(conn, account, last, now)
