"""Where every issue stands, for the console's dashboard: a page of issues, their columns,
the next send, recent failures and whether wxbot can work now (token, scheduler)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .config.accounts import display_name
from .local_time import local_time
from .runtime import Runtime
from .states import JobState, SendStatus
from .storage import issue_board, wechat_tokens
from .wechat.client import account_key
from .wechat.errors import explain
from .wechat.limits import PUBLISH_SUCCESS

#: Issues on one page of the dashboard.
PER_PAGE = 25
#: Failures listed under the table.
FAILURES_SHOWN = 10
#: Characters of the summary shown under an issue without an editor's title.
TITLE_EXCERPT_CHARS = 60
#: Poll intervals without a heartbeat after which a scheduler counts as gone.
MISSED_BEATS = 3


def countdown(moment: dt.datetime, now: dt.datetime) -> str:
    """Return how long until ``moment`` as ``in 2 d 3 h``, ``in 5 h 07 min`` or ``in 42 s``."""
    seconds = int((moment - now).total_seconds())
    if seconds < 0:
        return "due now"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"in {days} d {hours} h"
    if hours:
        return f"in {hours} h {minutes:02d} min"
    if minutes:
        return f"in {minutes} min"
    return f"in {secs} s"


def plain_error(detail: str, errcode: int | None) -> str:
    """Return an error as editors read it: what happened, and WeChat's code in plain words."""
    if errcode is None:
        return detail
    meaning = explain(errcode)
    return detail if meaning in detail else f"{detail} — {meaning}"


@dataclass(frozen=True)
class AccountState:
    """Where an issue stands on one account: its draft, publish, mass send, a failed send."""

    account: str  # the name editors see
    draft: str
    published_url: str
    published: str
    mass_sent: str
    failed: str
    scheduled: str = ""
    name: str = ""  # the configured name: the issue page acts for it with ``?account=``

    @property
    def untouched(self) -> bool:
        """Return whether the issue has not been to this account at all."""
        return not (self.draft or self.published or self.mass_sent or self.failed or self.scheduled)


@dataclass(frozen=True)
class IssueLine:
    """One issue on the dashboard, a column per state (empty when the state does not apply).

    With several accounts, ``accounts`` holds the state on each (draft, published, mass-sent,
    scheduled and failed sends); ``scheduled`` is then the issue's next send on any account
    and ``failed`` its last failed run.
    """

    issue_id: str
    title: str
    revision: int
    ingested: str
    draft: str
    published_url: str
    published: str
    mass_sent: str
    scheduled: str
    failed: str
    accounts: tuple[AccountState, ...] = ()


@dataclass(frozen=True)
class NextSend:
    """The next scheduled send: which issue, when, and how long until then."""

    issue_id: str
    audience: str
    when: str
    countdown: str


@dataclass(frozen=True)
class FailureLine:
    """A recent failure, explained."""

    issue_id: str
    what: str
    when: str
    why: str


@dataclass(frozen=True)
class Health:
    """Whether wxbot can call WeChat and send on time, each with a line saying why."""

    token_ok: bool
    token: str
    scheduler_ok: bool
    scheduler: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows."""

    lines: list[IssueLine]
    page: int
    pages: int
    total: int
    next_send: NextSend | None
    failures: list[FailureLine]
    health: Health
    #: The accounts' names as editors know them, in the order of each line's ``accounts``;
    #: empty when only one is configured.
    accounts: tuple[str, ...] = ()
    #: The token line of each account beyond the first, when several are configured.
    account_tokens: tuple[tuple[str, bool, str], ...] = ()


def dashboard(runtime: Runtime, page: int = 1, per_page: int = PER_PAGE) -> Dashboard:
    """Return the dashboard's ``page``: one read, whatever the page's or the archive's size.

    With several accounts, each line shows the issue's state on each, read for all accounts
    at once.

    :raises ValueError: when ``page`` is past the last page.
    """
    tz, now = runtime.tz, runtime.now()
    runtimes = runtime.accounts() if (runtime.all_settings or runtime.settings).accounts else []
    keys = [account_key(r.settings.wechat) for r in runtimes] or [
        account_key(runtime.settings.wechat)
    ]
    with runtime.db.read() as conn:
        stored = issue_board.read_board(
            conn, keys, per_page, max(0, page - 1) * per_page, FAILURES_SHOWN
        )
    pages = max(1, math.ceil(stored.total / per_page))
    if not 1 <= page <= pages:
        raise ValueError(f"no page {page}: the dashboard has {pages}")
    every = (runtime.all_settings or runtime.settings).accounts
    names = [display_name(every, r.account) for r in runtimes]
    #: Each account's key → (its name, the name editors see); empty with one account.
    named = {key: (r.account, shown) for key, r, shown in zip(keys, runtimes, names, strict=False)}
    lines = [_line(runtime, row, stored.rows, now, named) for row in stored.issues]
    next_send = None
    upcoming = stored.next_job
    if upcoming is not None:
        next_send = NextSend(
            upcoming.issue_id,
            "every follower" if upcoming.tag_id is None else f"tag {upcoming.tag_id}",
            local_time(upcoming.send_at, tz),
            countdown(upcoming.send_at, now),
        )
    others = []
    for other, key in zip(runtimes[1:], keys[1:], strict=True):
        state = health(other, stored.tokens.get(key), None)
        others.append((display_name(every, other.account), state.token_ok, state.token))
    return Dashboard(
        lines=lines,
        page=page,
        pages=pages,
        total=stored.total,
        next_send=next_send,
        failures=[
            FailureLine(
                f.issue_id,
                f"{f.what} ({named[f.account][1]})" if f.account in named else f.what,
                local_time(f.at, tz),
                plain_error(f.why, f.errcode),
            )
            for f in stored.failures
        ],
        health=health(runtime, stored.tokens.get(keys[0]), stored.beat_at),
        accounts=tuple(names),
        account_tokens=tuple(others),
    )


def _line(
    runtime: Runtime,
    row: issue_board.BoardIssue,
    board: issue_board.BoardRows,
    now: dt.datetime,
    accounts: dict[str, tuple[str, str]],
) -> IssueLine:
    tz = runtime.tz
    issue_id = row.id
    link = row.article_url
    draft, url, published = _wechat_columns(
        board.drafts.get(issue_id), board.publishes.get(issue_id), link, tz
    )
    reached = _reached(board.sends.get(issue_id, []))
    jobs = board.jobs.get(issue_id, [])
    scheduled = _scheduled(jobs, tz, now)
    run = board.failed_runs.get(issue_id)
    if run is not None:
        failed = plain_error(f"{run.mode}: {run.detail}", run.errcode)
    else:
        failed = "" if scheduled else _failed_job(jobs)
    return IssueLine(
        issue_id=issue_id,
        title=row.title or _excerpt(row.summary),
        revision=row.revision,
        ingested=local_time(row.updated_at, tz),
        draft=draft,
        published_url=url,
        published=published or ("on WeChat" if url else ""),
        mass_sent=_send_counts(reached) if reached else "",
        scheduled=scheduled,
        failed=failed,
        accounts=tuple(
            _account_state(
                runtime,
                account,
                name,
                board.accounts[key],
                issue_id,
                link="" if n else link,
                jobs=[j for j in jobs if j.account == account],
                now=now,
            )
            for n, (key, (account, name)) in enumerate(accounts.items())
        )
        if accounts
        else (),
    )


def _account_state(
    runtime: Runtime,
    account: str,
    name: str,
    rows: issue_board.AccountRows,
    issue_id: str,
    *,
    link: str,
    jobs: list[issue_board.JobRow],
    now: dt.datetime,
) -> AccountState:
    """Return an issue's state on ``account``, which editors call ``name``.

    ``link`` is the issue's recorded article URL, the first account's; another account's
    link comes from its own publish or send. ``jobs`` are the issue's jobs on the account.
    """
    tz = runtime.tz
    draft, url, published = _wechat_columns(
        rows.drafts.get(issue_id), rows.publishes.get(issue_id), link, tz
    )
    sends = rows.sends.get(issue_id, [])
    reached = _reached(sends)
    if reached is not None:
        url = url or reached.article_url
    scheduled = _scheduled(jobs, tz, now)
    failed = _failed_send(sends) or ("" if scheduled else _failed_job(jobs))
    return AccountState(
        account=name,
        draft=draft,
        published_url=url,
        published=published or ("on WeChat" if url else ""),
        mass_sent=_send_counts(reached) if reached else "",
        failed=failed,
        scheduled=scheduled,
        name=account,
    )


def _wechat_columns(
    draft: issue_board.DraftRow | None,
    publish: issue_board.PublishJobRow | None,
    link: str,
    tz: ZoneInfo,
) -> tuple[str, str, str]:
    """Return the draft, the article URL and the published columns of an issue on an account.

    ``link`` is the URL already known; a successful publish gives one otherwise.
    """
    url, published = link, ""
    if publish is not None:
        if publish.status == PUBLISH_SUCCESS:
            published = local_time(publish.finished_at or publish.submitted_at, tz)
            url = url or publish.article_url
        elif publish.status is None:
            published = "submitted, waiting for WeChat"
    return (f"version {draft.version} ({draft.state})" if draft else "", url, published)


def _reached(sends: list[issue_board.MassSendRow]) -> issue_board.MassSendRow | None:
    """Return the newest of ``sends`` (newest first) that reached or may have reached followers."""
    for send in sends:
        if send.status.may_have_reached or send.status.reached_followers:
            return send
    return None


def _failed_send(sends: list[issue_board.MassSendRow]) -> str:
    """Return why the newest send refused or failed since the last that reached followers."""
    for send in sends:
        if send.status.may_have_reached or send.status.reached_followers:
            return ""
        if send.status in (SendStatus.REFUSED, SendStatus.FAILED):
            return plain_error(f"mass send to {send.audience}: {send.error}", send.errcode)
    return ""


def _scheduled(jobs: list[issue_board.JobRow], tz: ZoneInfo, now: dt.datetime) -> str:
    """Return when the first live job of ``jobs`` (by send time) sends, and in how long."""
    for job in jobs:
        if job.state.is_live:
            return f"{local_time(job.send_at, tz)} ({countdown(job.send_at, now)})"
    return ""


def _failed_job(jobs: list[issue_board.JobRow]) -> str:
    """Return the latest failed or missed job of ``jobs`` (by send time) and why."""
    for job in reversed(jobs):
        if job.state in (JobState.FAILED, JobState.MISSED):
            return f"scheduled send {job.state}: {job.error or ''}".rstrip(": ")
    return ""


@functools.lru_cache(maxsize=1024)
def _excerpt(summary: str) -> str:
    """Return the summary's opening, as much as fits in :data:`TITLE_EXCERPT_CHARS`.

    A summary changes only with its issue: each worker cuts a page's worth once.
    """
    text = " ".join(summary[: TITLE_EXCERPT_CHARS * 2].split())
    return text if len(text) <= TITLE_EXCERPT_CHARS else text[: TITLE_EXCERPT_CHARS - 1] + "…"


def _send_counts(send: issue_board.MassSendRow) -> str:
    if send.sent_count is None:
        return f"{send.audience}: {send.status}"
    errors = f", {send.error_count:,} errors" if send.error_count else ""
    return f"{send.audience}: {send.sent_count:,} of {send.total_count or 0:,} sent{errors}"


def health(
    runtime: Runtime,
    token: wechat_tokens.TokenHealth | None,
    beat_at: dt.datetime | None,
) -> Health:
    """Return whether wxbot can get an access token and whether a scheduler is alive.

    Reads only the database (the cached token, the last fetch error, the heartbeats): a page
    view never calls WeChat.
    """
    tz, now = runtime.tz, runtime.now()
    wechat = runtime.settings.wechat
    if not wechat.appid or not wechat.secret.get_secret_value():
        token_ok, token_text = False, "no wechat.appid/secret configured: wxbot cannot call WeChat"
    elif (
        token is not None
        and token.fetch_error
        and token.fetch_error_at is not None
        and (token.fetched_at is None or token.fetch_error_at >= token.fetched_at)
    ):
        token_ok = False
        token_text = (
            f"the last token fetch failed at {local_time(token.fetch_error_at, tz)}: "
            f"{token.fetch_error}"
        )
    elif token is not None and token.expires_at is not None and token.expires_at > now:
        token_ok = True
        token_text = f"access token cached, valid until {local_time(token.expires_at, tz)}"
    else:
        token_ok = True
        token_text = "no valid token cached: the next call fetches one"
    limit = dt.timedelta(seconds=runtime.settings.schedule.poll_interval * MISSED_BEATS)
    if beat_at is None:
        scheduler_ok, scheduler_text = False, "no scheduler has run: start `wxbot worker`"
    else:
        age = now - beat_at
        scheduler_ok = age <= limit
        scheduler_text = (
            f"scheduler last seen {local_time(beat_at, tz)} "
            f"({int(age.total_seconds())} s ago)"
            + ("" if scheduler_ok else ": none alive; start `wxbot worker`")
        )
    return Health(token_ok, token_text, scheduler_ok, scheduler_text)
