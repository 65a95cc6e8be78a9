"""What WeChat's data cube counts: an article's readers per day and running, followers per day.

Plain data shared by the client that fetches it (:mod:`wxbot.wechat.datacube`), the storage
that keeps it (:mod:`wxbot.storage.reading_stats`) and the report that reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

#: The numbers getarticlesummary gives per article and day (and getarticletotal per detail).
READ_FIELDS = (
    "int_page_read_user",
    "int_page_read_count",
    "ori_page_read_user",
    "ori_page_read_count",
    "share_user",
    "share_count",
    "add_to_fav_user",
    "add_to_fav_count",
)


@dataclass(frozen=True)
class ArticleDay:
    """One mass-sent article's numbers on one day (getarticlesummary).

    ``msgid`` is "<msg_data_id>_<index>": the send's msg_data_id and the item's 1-based place.
    """

    ref_date: dt.date
    msgid: str
    title: str
    numbers: Mapping[str, int]


@dataclass(frozen=True)
class ArticleTotal:
    """An article sent on ``ref_date``: its running totals on ``stat_date`` (getarticletotal).

    ``target_user`` is 送达人数, the followers the send reached; ``session_read_user`` read
    it from the account's conversation, i.e. from the mass send itself.
    """

    ref_date: dt.date
    stat_date: dt.date
    msgid: str
    title: str
    target_user: int
    session_read_user: int
    numbers: Mapping[str, int]


@dataclass(frozen=True)
class FollowerDay:
    """Followers gained, lost and held at the end of one day (getusersummary + getusercumulate)."""

    ref_date: dt.date
    new_user: int
    cancel_user: int
    cumulate_user: int
