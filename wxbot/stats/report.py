"""What readers did with each issue: the stored statistics matched to issues, per topic, followers.

An article is matched to its issue by its msgid — "<msg_data_id>_<index>", the msg_data_id
WeChat gave wxbot's mass send of that issue — or, for sends wxbot did not record (made in
the MP backend, or before wxbot), by the issue's WeChat title on the day of the issue or up
to two days after it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .. import archive
from ..config import Settings
from ..config.accounts import display_name
from ..model import Issue
from ..reading_numbers import ArticleDay, ArticleTotal, FollowerDay
from ..rendering.titles import article_title, heading_topic
from ..runtime import Runtime
from ..storage import reading_stats as store
from ..wechat import account_key

#: Days after an issue's date that a send with its title is taken for it.
TITLE_MATCH_DAYS = 2


@dataclass(frozen=True)
class IssueFacts:
    """What matching and topics need of an archived issue."""

    id: str
    date: dt.date
    title: str
    topics: tuple[str, ...]


@dataclass
class IssueReads:
    """One issue's (or one unmatched send's) numbers, summed over its articles.

    ``readers`` read the article (图文页阅读人数); ``from_send`` of them opened it from the
    mass send in the account's conversation, of the ``target_user`` it reached (送达人数).
    """

    issue_id: str | None
    title: str
    sent: dt.date
    msgids: list[str] = field(default_factory=list)
    target_user: int = 0
    readers: int = 0
    reads: int = 0
    from_send: int = 0
    sharers: int = 0
    shares: int = 0
    favourites: int = 0

    @property
    def other_readers(self) -> int:
        """Return the readers who came from elsewhere: history page, Moments, friends, search."""
        return max(self.readers - self.from_send, 0)

    @property
    def read_through(self) -> float | None:
        """Return the share of the followers reached who opened it from the send."""
        return self.from_send / self.target_user if self.target_user else None

    @property
    def label(self) -> str:
        """Return how charts and tables name it: the issue id, else the send's title."""
        return self.issue_id or self.title


@dataclass(frozen=True)
class TopicReads:
    """Reads of the issues whose sections are about a topic (see :func:`topic_words`), per week."""

    topic: str
    issues: int
    reads: int
    by_week: dict[dt.date, int]


@dataclass(frozen=True)
class DailyReads:
    """Reads of one issue on one day: what the chart draws."""

    label: str
    day: dt.date
    reads: int


@dataclass(frozen=True)
class StatsReport:
    """Everything ``wxbot stats`` prints and the chart draws."""

    issues: list[IssueReads]
    topics: list[TopicReads]
    followers: list[FollowerDay]
    daily: list[DailyReads]


def match_issue(
    msgid: str,
    title: str,
    sent: dt.date,
    by_msg_data_id: Mapping[str, str],
    issues: Iterable[IssueFacts],
) -> str | None:
    """Return the issue an article belongs to: by its send's msg_data_id, else title and date."""
    msg_data_id = msgid.rpartition("_")[0] or msgid
    if msg_data_id in by_msg_data_id:
        return by_msg_data_id[msg_data_id]
    for issue in issues:
        if issue.title == title and 0 <= (sent - issue.date).days <= TITLE_MATCH_DAYS:
            return issue.id
    return None


def assemble(
    totals: Sequence[ArticleTotal],
    reads: Sequence[ArticleDay],
    followers: Sequence[FollowerDay],
    by_msg_data_id: Mapping[str, str],
    issues: Sequence[IssueFacts],
    since: dt.date | None = None,
) -> StatsReport:
    """Sum the stored rows per issue, per topic and per day; keep sends from ``since`` on."""
    sent_on: dict[str, dt.date] = {t.msgid: t.ref_date for t in totals}
    titles: dict[str, str] = {t.msgid: t.title for t in totals}
    for r in reads:  # an article sent before the totals' look-back: its first day read
        sent_on[r.msgid] = min(sent_on.get(r.msgid, r.ref_date), r.ref_date)
        titles.setdefault(r.msgid, r.title)
    owner = {
        msgid: match_issue(msgid, titles[msgid], sent_on[msgid], by_msg_data_id, issues)
        for msgid in sent_on
    }
    by_key: dict[str, IssueReads] = {}

    def entry(msgid: str) -> IssueReads:
        key = owner[msgid] or f"msgid:{msgid.rpartition('_')[0] or msgid}"
        if key not in by_key:
            by_key[key] = IssueReads(owner[msgid], titles[msgid], sent_on[msgid])
        item = by_key[key]
        item.sent = min(item.sent, sent_on[msgid])
        if msgid not in item.msgids:
            item.msgids.append(msgid)
        return item

    with_totals = set()
    for t in totals:
        item = entry(t.msgid)
        with_totals.add(t.msgid)
        item.target_user = max(item.target_user, t.target_user)
        _add(item, t.numbers)
        item.from_send += t.session_read_user
    daily: dict[tuple[str, dt.date], int] = defaultdict(int)
    for r in reads:
        item = entry(r.msgid)
        if r.msgid not in with_totals:
            _add(item, r.numbers)
        daily[(item.label, r.ref_date)] += r.numbers["int_page_read_count"]
    chosen = sorted(
        (i for i in by_key.values() if since is None or i.sent >= since),
        key=lambda i: (i.sent, i.label),
    )
    labels = {i.label for i in chosen}
    return StatsReport(
        issues=chosen,
        topics=_topics(chosen, issues),
        followers=[f for f in followers if since is None or f.ref_date >= since],
        daily=[
            DailyReads(label, day, n)
            for (label, day), n in sorted(daily.items())
            if label in labels
        ],
    )


def _add(item: IssueReads, numbers: Mapping[str, int]) -> None:
    item.readers += numbers["int_page_read_user"]
    item.reads += numbers["int_page_read_count"]
    item.sharers += numbers["share_user"]
    item.shares += numbers["share_count"]
    item.favourites += numbers["add_to_fav_count"]


def _topics(chosen: Sequence[IssueReads], issues: Sequence[IssueFacts]) -> list[TopicReads]:
    """Return reads per topic and week (Monday first), the most read topic first."""
    topics_of = {i.id: i.topics for i in issues}
    counts: dict[str, int] = defaultdict(int)
    weeks: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for item in chosen:
        week = item.sent - dt.timedelta(days=item.sent.weekday())
        for topic in topics_of.get(item.issue_id or "", ()):
            counts[topic] += 1
            weeks[topic][week] += item.reads
    result = [
        TopicReads(
            topic, counts[topic], sum(weeks[topic].values()), dict(sorted(weeks[topic].items()))
        )
        for topic in counts
    ]
    return sorted(result, key=lambda t: (-t.reads, t.topic))


def topic_words(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Return the topics followed over time, each with the words that name it.

    The topics are ``[cover] keywords``, else ``[search] popular_keywords``; a topic is also
    named by the words ``[search] synonyms`` groups with it (人工智能 and AI).
    """
    keywords = [k.strip() for k in settings.cover.keywords or settings.search.popular_keywords]
    words = {}
    for keyword in filter(None, keywords):
        group = [g for g in settings.search.synonyms if keyword in g]
        words[keyword] = tuple(dict.fromkeys([keyword, *(w for g in group for w in g)]))
    return words


def issue_topics(issue: Issue, words: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Return the topics an issue's sections are about (their headings' topics when none set)."""
    if not words:
        return tuple(dict.fromkeys(t for s in issue.sections if (t := heading_topic(s.heading))))
    text = "\n".join(f"{s.heading}\n" + "\n".join(s.paragraphs) for s in issue.sections).lower()
    return tuple(t for t, names in words.items() if any(n.lower() in text for n in names))


def issue_facts(runtime: Runtime, since: dt.date) -> list[IssueFacts]:
    """Return the date, WeChat title and topics of every archived issue from ``since`` on."""
    facts = []
    words = topic_words(runtime.settings)
    for row in archive.list_issues(runtime):
        if row.id < since.isoformat():  # ids are YYYY-MM-DD
            continue
        issue = archive.get_issue(runtime, row.id)
        topics = issue_topics(issue, words)
        facts.append(
            IssueFacts(issue.id, issue.date, article_title(issue, runtime.settings), topics)
        )
    return facts


def build_report(
    runtime: Runtime,
    *,
    since: dt.date | None = None,
    facts: Sequence[IssueFacts] | None = None,
) -> StatsReport:
    """Read the stored statistics of ``runtime``'s account and match them to the archive.

    ``facts`` are the archive's issues (:func:`issue_facts` from :func:`_earliest`), when the
    caller has them already for another account.
    """
    account = runtime.account
    start = since or FIRST_DAY
    earliest = _earliest(since)
    wechat_account = account_key(runtime.settings.wechat)
    with runtime.db.begin() as conn:
        totals = store.latest_article_totals(conn, account, earliest)
        reads = store.article_reads_since(conn, account, earliest)
        followers = store.follower_days_since(conn, account, start)
        by_msg_data_id = store.issues_by_msg_data_id(conn, wechat_account)
    if facts is None:
        facts = issue_facts(runtime, earliest - dt.timedelta(days=TITLE_MATCH_DAYS))
    return assemble(totals, reads, followers, by_msg_data_id, facts, since)


#: The data cube holds nothing older.
FIRST_DAY = dt.date(2014, 12, 1)


def _earliest(since: dt.date | None) -> dt.date:
    """Return the first send day read for a report from ``since``.

    Far enough back to know each article's send day, so a send just before ``since`` read on
    later days is left out rather than dated by its first day read after ``since``.
    """
    return (since or FIRST_DAY) - dt.timedelta(days=31)


@dataclass(frozen=True)
class AccountReport:
    """One account's report, with the name editors know the account by."""

    account: str
    display_name: str
    report: StatsReport


def account_reports(runtime: Runtime, *, since: dt.date | None = None) -> list[AccountReport]:
    """Return the report of every configured account, ``default`` first."""
    every = runtime.all_settings or runtime.settings
    # Titles follow an account's brand (its series name): accounts of one brand share facts.
    facts: dict[str, list[IssueFacts]] = {}
    reports = []
    for r in runtime.accounts():
        brand = r.settings.brand.model_dump_json()
        if brand not in facts:
            facts[brand] = issue_facts(r, _earliest(since) - dt.timedelta(days=TITLE_MATCH_DAYS))
        report = build_report(r, since=since, facts=facts[brand])
        reports.append(AccountReport(r.account, display_name(every.accounts, r.account), report))
    return reports


def daily_by_account(reports: Sequence[AccountReport], issue_id: str | None) -> list[DailyReads]:
    """Return reads per day with one line per account (of ``issue_id``, else of every issue)."""
    summed: dict[tuple[str, dt.date], int] = defaultdict(int)
    for item in reports:
        for row in item.report.daily:
            if issue_id is None or row.label == issue_id:
                summed[(item.display_name, row.day)] += row.reads
    return [DailyReads(label, day, reads) for (label, day), reads in sorted(summed.items())]


def chart_rows(reports: Sequence[AccountReport], issue_id: str | None = None) -> list[DailyReads]:
    """Return what the reads chart draws: a line per account when several, else per issue."""
    if len(reports) > 1:
        return daily_by_account(reports, issue_id)
    return [
        r for item in reports for r in item.report.daily if issue_id is None or r.label == issue_id
    ]


def collected_anything(reports: Sequence[AccountReport]) -> bool:
    """Return whether any account has statistics stored (sends read or follower days)."""
    return any(item.report.issues or item.report.followers for item in reports)
