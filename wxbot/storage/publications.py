"""SQL for what was sent to WeChat: uploaded media, drafts, publish jobs, mass sends, previews.

Uploads are keyed by content hash, so unchanged files are never uploaded twice; each issue has
one draft per account; every publish job and mass send is kept with what WeChat answered.
``account`` is ``appid@api-host``: the sandbox and the live platform never share records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    select,
)

from ..states import DraftState, SendStatus
from .schema import UtcDateTime, metadata

wechat_media = Table(
    "wechat_media",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # thumb, image (permanent) or uploadimg
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("media_id", Text, nullable=False),  # empty for uploadimg
    Column("url", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ux_wechat_media_content", "account", "kind", "sha256", unique=True),
)

wechat_drafts = Table(
    "wechat_drafts",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("issue_id", String(10), ForeignKey("issues.id"), primary_key=True),
    Column("media_id", Text, nullable=False),
    Column("version", Integer, nullable=False),  # +1 for every content change
    Column("content_sha256", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(16), nullable=False),  # a DraftState
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

publish_jobs = Table(
    "publish_jobs",
    metadata,
    # WeChat numbers publish jobs within an account: two accounts may both have a job 1.
    Column("publish_id", String(64), primary_key=True),
    Column("account", String(200), primary_key=True),
    Column("issue_id", String(10), nullable=False, index=True),
    Column("draft_media_id", Text, nullable=False),
    Column("draft_version", Integer, nullable=False),
    Column("status", Integer, nullable=True),  # freepublish/get publish_status; None = unknown
    Column("article_id", Text, nullable=False, default=""),
    Column("article_url", Text, nullable=False, default=""),
    Column("fail_idx", Text, nullable=False, default=""),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
)

mass_sends = Table(
    "mass_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("issue_id", String(10), nullable=False, index=True),
    Column("clientmsgid", String(64), nullable=False),
    Column("audience", String(32), nullable=False),  # "all" or "tag:<id>"
    Column("tag_id", Integer, nullable=True),
    Column("draft_media_id", Text, nullable=False),
    Column("draft_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # a SendStatus
    Column("msg_id", String(32), nullable=False, default=""),
    Column("msg_data_id", String(32), nullable=False, default=""),
    Column("total_count", Integer, nullable=True),
    Column("filter_count", Integer, nullable=True),
    Column("sent_count", Integer, nullable=True),
    Column("error_count", Integer, nullable=True),
    Column("article_url", Text, nullable=False, default=""),
    Column("errcode", Integer, nullable=True),
    Column("error", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Index("ux_mass_sends_clientmsgid", "account", "clientmsgid", unique=True),
    Index("ix_mass_sends_msg_id", "msg_id"),
)

# At most one send per issue and audience that may have reached it, whatever its clientmsgid:
# the database itself refuses a second one, even from two workers racing.
_REACHING = SendStatus.where(lambda s: s.may_have_reached)
Index(
    "ux_mass_sends_reaching",
    mass_sends.c.account,
    mass_sends.c.issue_id,
    mass_sends.c.audience,
    unique=True,
    sqlite_where=mass_sends.c.status.in_(_REACHING),
    postgresql_where=mass_sends.c.status.in_(_REACHING),
)

wechat_previews = Table(
    "wechat_previews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("issue_id", String(10), nullable=False),
    Column("draft_media_id", Text, nullable=False),
    Column("draft_version", Integer, nullable=False),
    Column("recipient", String(128), nullable=False),  # openid, or "wxname:<WeChat ID>"
    Column("msg_id", String(32), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class MediaRow:
    """An upload WeChat holds: a material's media_id and URL, or an uploadimg URL."""

    kind: str
    sha256: str
    media_id: str
    url: str


@dataclass(frozen=True)
class DraftRow:
    """The draft of an issue."""

    issue_id: str
    media_id: str
    version: int
    content_sha256: str
    title: str
    state: DraftState
    updated_at: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", DraftState(self.state))  # the column holds its value


@dataclass(frozen=True)
class PublishJobRow:
    """A freepublish/submit and what came of it."""

    publish_id: str
    issue_id: str
    draft_media_id: str
    draft_version: int
    status: int | None
    article_id: str
    article_url: str
    fail_idx: str
    submitted_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class MassSendRow:
    """A mass send of an issue and what came of it."""

    issue_id: str
    clientmsgid: str
    audience: str
    tag_id: int | None
    draft_media_id: str
    draft_version: int
    status: SendStatus
    msg_id: str
    msg_data_id: str
    total_count: int | None
    filter_count: int | None
    sent_count: int | None
    error_count: int | None
    article_url: str
    errcode: int | None
    error: str
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", SendStatus(self.status))  # the column holds its value


def _row(cls: Any, row: Any) -> Any:
    """Build dataclass ``cls`` from a result row."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


# --- media ----------------------------------------------------------------------------------


def find_media(
    conn: Connection, account: str, kind: str, digests: list[str]
) -> dict[str, MediaRow]:
    """Return ``{sha256: upload}`` for the digests already uploaded as ``kind``."""
    if not digests:
        return {}
    rows = conn.execute(
        select(wechat_media).where(
            wechat_media.c.account == account,
            wechat_media.c.kind == kind,
            wechat_media.c.sha256.in_(sorted(set(digests))),
        )
    )
    return {r.sha256: _row(MediaRow, r) for r in rows}


def record_media(
    conn: Connection, account: str, media: MediaRow, size: int, now: dt.datetime
) -> None:
    """Remember an upload (a concurrent duplicate of the same content is left as it is)."""
    if find_media(conn, account, media.kind, [media.sha256]):
        return
    conn.execute(
        wechat_media.insert().values(
            account=account, kind=media.kind, sha256=media.sha256, size=size,
            media_id=media.media_id, url=media.url, created_at=now,
        )
    )  # fmt: skip


# --- drafts ---------------------------------------------------------------------------------


#: The issue page reads these on every view: built once, bound per call.
_ACCOUNT = bindparam("account", type_=String)
_ISSUE_ID = bindparam("issue_id", type_=String)
_DRAFT_OF = select(wechat_drafts).where(
    wechat_drafts.c.account == _ACCOUNT, wechat_drafts.c.issue_id == _ISSUE_ID
)


#: A draft's columns, each labelled ``draft_<name>``, to read beside other tables' (all None
#: when an outer join finds no draft).
DRAFT_COLUMNS = [wechat_drafts.c[f.name].label(f"draft_{f.name}") for f in fields(DraftRow)]


def draft_from_row(row: Any) -> DraftRow | None:
    """Return the draft in a row read with :data:`DRAFT_COLUMNS`, or None when it has none."""
    values = {f.name: getattr(row, f"draft_{f.name}") for f in fields(DraftRow)}
    return None if values["media_id"] is None else DraftRow(**values)


def get_draft(conn: Connection, account: str, issue_id: str) -> DraftRow | None:
    """Return the issue's draft, if one was ever made."""
    row = conn.execute(_DRAFT_OF, {"account": account, "issue_id": issue_id}).first()
    return None if row is None else _row(DraftRow, row)


def find_draft_by_title(conn: Connection, account: str, title: str) -> DraftRow | None:
    """Return the most recent draft with this article title."""
    row = conn.execute(
        select(wechat_drafts)
        .where(wechat_drafts.c.account == account, wechat_drafts.c.title == title)
        .order_by(wechat_drafts.c.updated_at.desc())
    ).first()
    return None if row is None else _row(DraftRow, row)


def save_draft(
    conn: Connection, account: str, draft: DraftRow, now: dt.datetime
) -> None:  # fmt: skip
    """Record the issue's draft as it now is in the draft box."""
    values = {
        "media_id": draft.media_id, "version": draft.version,
        "content_sha256": draft.content_sha256, "title": draft.title, "state": draft.state,
        "updated_at": now,
    }  # fmt: skip
    updated = conn.execute(
        wechat_drafts.update()
        .where(wechat_drafts.c.account == account, wechat_drafts.c.issue_id == draft.issue_id)
        .values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(
            wechat_drafts.insert().values(
                account=account, issue_id=draft.issue_id, created_at=now, **values
            )
        )


def set_draft_state(
    conn: Connection, account: str, media_id: str, state: DraftState, now: dt.datetime
) -> None:
    """Mark the draft with ``media_id`` as published, mass_sent or gone."""
    conn.execute(
        wechat_drafts.update()
        .where(wechat_drafts.c.account == account, wechat_drafts.c.media_id == media_id)
        .values(state=state, updated_at=now)
    )


# --- publish jobs ---------------------------------------------------------------------------


def add_publish_job(
    conn: Connection, account: str, publish_id: str, draft: DraftRow, now: dt.datetime
) -> None:
    """Record a submitted publish job (status unknown until WeChat says)."""
    conn.execute(
        publish_jobs.insert().values(
            publish_id=publish_id, account=account, issue_id=draft.issue_id,
            draft_media_id=draft.media_id, draft_version=draft.version, status=None,
            article_id="", article_url="", fail_idx="", submitted_at=now,
        )
    )  # fmt: skip


def get_publish_job(conn: Connection, account: str, publish_id: str) -> PublishJobRow | None:
    """Return the publish job with that publish_id."""
    row = conn.execute(
        select(publish_jobs).where(
            publish_jobs.c.account == account, publish_jobs.c.publish_id == publish_id
        )
    ).first()
    return None if row is None else _row(PublishJobRow, row)


_PUBLISH_JOBS_OF = (
    select(publish_jobs)
    .where(publish_jobs.c.account == _ACCOUNT, publish_jobs.c.issue_id == _ISSUE_ID)
    .order_by(publish_jobs.c.submitted_at.desc())
)


def publish_jobs_of(conn: Connection, account: str, issue_id: str) -> list[PublishJobRow]:
    """Return the issue's publish jobs, newest first."""
    rows = conn.execute(_PUBLISH_JOBS_OF, {"account": account, "issue_id": issue_id})
    return [_row(PublishJobRow, r) for r in rows]


def unfinished_publish_jobs(conn: Connection, account: str) -> list[PublishJobRow]:
    """Return the jobs whose outcome is not known yet."""
    rows = conn.execute(
        select(publish_jobs).where(
            publish_jobs.c.account == account,
            (publish_jobs.c.status.is_(None)) | (publish_jobs.c.status == 1),
        )
    )
    return [_row(PublishJobRow, r) for r in rows]


def finish_publish_job(
    conn: Connection,
    account: str,
    publish_id: str,
    *,
    status: int,
    article_id: str,
    article_url: str,
    fail_idx: str,
    now: dt.datetime,
) -> None:
    """Record what became of a publish job."""
    conn.execute(
        publish_jobs.update()
        .where(publish_jobs.c.account == account, publish_jobs.c.publish_id == publish_id)
        .values(
            status=status, article_id=article_id, article_url=article_url, fail_idx=fail_idx,
            finished_at=None if status == 1 else now,
        )
    )  # fmt: skip


def article_ids(conn: Connection, account: str) -> dict[str, str]:
    """Return ``{article_id: issue_id}`` of every successful publish."""
    rows = conn.execute(
        select(publish_jobs.c.article_id, publish_jobs.c.issue_id).where(
            publish_jobs.c.account == account, publish_jobs.c.article_id != ""
        )
    )
    return {r.article_id: r.issue_id for r in rows}


# --- mass sends -----------------------------------------------------------------------------


def get_mass_send(conn: Connection, account: str, key: str) -> MassSendRow | None:
    """Return the mass send with that clientmsgid, or else that msg_id."""
    for column in (mass_sends.c.clientmsgid, mass_sends.c.msg_id):
        row = conn.execute(
            select(mass_sends).where(mass_sends.c.account == account, column == key)
        ).first()
        if row is not None:
            return _row(MassSendRow, row)
    return None


def mass_send_of_event(conn: Connection, account: str, wechat_id: str) -> MassSendRow | None:
    """Return the send a MASSSENDJOBFINISH's MsgID names: by msg_id, else by msg_data_id."""
    if not wechat_id:
        return None
    for column in (mass_sends.c.msg_id, mass_sends.c.msg_data_id):
        row = conn.execute(
            select(mass_sends).where(mass_sends.c.account == account, column == wechat_id)
        ).first()
        if row is not None:
            return _row(MassSendRow, row)
    return None


def unfinished_mass_sends(
    conn: Connection, account: str, *, checked_before: dt.datetime | None = None
) -> list[MassSendRow]:
    """Return the accepted sends WeChat has not finished (not looked at since), oldest first."""
    query = select(mass_sends).where(
        mass_sends.c.account == account,
        mass_sends.c.status == SendStatus.ACCEPTED,
        mass_sends.c.msg_id != "",
    )
    if checked_before is not None:
        query = query.where(mass_sends.c.updated_at < checked_before)
    rows = conn.execute(query.order_by(mass_sends.c.created_at, mass_sends.c.id))
    return [_row(MassSendRow, r) for r in rows]


def mass_sends_by_clientmsgid(
    conn: Connection, account: str, clientmsgids: Collection[str]
) -> dict[str, MassSendRow]:
    """Return ``{clientmsgid: send}`` of the sends made with these clientmsgids."""
    if not clientmsgids:
        return {}
    rows = conn.execute(
        select(mass_sends).where(
            mass_sends.c.account == account, mass_sends.c.clientmsgid.in_(sorted(set(clientmsgids)))
        )
    )
    return {r.clientmsgid: _row(MassSendRow, r) for r in rows}


_MASS_SENDS_OF = (
    select(mass_sends)
    .where(mass_sends.c.account == _ACCOUNT, mass_sends.c.issue_id == _ISSUE_ID)
    .order_by(mass_sends.c.created_at.desc(), mass_sends.c.id.desc())
)


def mass_sends_of(conn: Connection, account: str, issue_id: str) -> list[MassSendRow]:
    """Return the issue's mass sends, newest first."""
    rows = conn.execute(_MASS_SENDS_OF, {"account": account, "issue_id": issue_id})
    return [_row(MassSendRow, r) for r in rows]


def blocking_mass_send(
    conn: Connection,
    account: str,
    issue_id: str,
    audience: str,
    *,
    statuses: Collection[SendStatus],
    except_clientmsgid: str,
) -> MassSendRow | None:
    """Return the newest send of the issue to ``audience`` in ``statuses`` under another id."""
    row = conn.execute(
        select(mass_sends)
        .where(
            mass_sends.c.account == account,
            mass_sends.c.issue_id == issue_id,
            mass_sends.c.audience == audience,
            mass_sends.c.status.in_(list(statuses)),
            mass_sends.c.clientmsgid != except_clientmsgid,
        )
        .order_by(mass_sends.c.created_at.desc(), mass_sends.c.id.desc())
        .limit(1)
    ).first()
    return _row(MassSendRow, row) if row is not None else None


def begin_mass_send(
    conn: Connection,
    account: str,
    *,
    issue_id: str,
    clientmsgid: str,
    audience: str,
    tag_id: int | None,
    draft: DraftRow,
    now: dt.datetime,
) -> None:
    """Record that a send is about to be made (again, when this clientmsgid was tried before).

    :raises sqlalchemy.exc.IntegrityError: when another send of the issue reaches that audience.
    """
    values: dict[str, Any] = {
        "issue_id": issue_id, "audience": audience, "tag_id": tag_id,
        "draft_media_id": draft.media_id, "draft_version": draft.version,
        "status": SendStatus.SENDING, "errcode": None, "error": "", "updated_at": now,
    }  # fmt: skip
    updated = conn.execute(
        mass_sends.update()
        .where(mass_sends.c.account == account, mass_sends.c.clientmsgid == clientmsgid)
        .values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(
            mass_sends.insert().values(
                account=account, clientmsgid=clientmsgid, msg_id="", msg_data_id="",
                article_url="", created_at=now, **values,
            )
        )  # fmt: skip


def update_mass_send(
    conn: Connection, account: str, clientmsgid: str, now: dt.datetime, **values: Any
) -> None:
    """Change a mass send's status, msg_id, counts, URL or error."""
    conn.execute(
        mass_sends.update()
        .where(mass_sends.c.account == account, mass_sends.c.clientmsgid == clientmsgid)
        .values(updated_at=now, **values)
    )


# --- previews -------------------------------------------------------------------------------


def previewed(
    conn: Connection, account: str, draft_media_id: str, draft_version: int
) -> set[str]:  # fmt: skip
    """Return the recipients who already got a preview of this draft version."""
    rows = conn.execute(
        select(wechat_previews.c.recipient).where(
            wechat_previews.c.account == account,
            wechat_previews.c.draft_media_id == draft_media_id,
            wechat_previews.c.draft_version == draft_version,
        )
    )
    return {r.recipient for r in rows}


def record_preview(
    conn: Connection,
    account: str,
    *,
    issue_id: str,
    draft: DraftRow,
    recipient: str,
    msg_id: str,
    now: dt.datetime,
) -> None:
    """Remember a preview sent to one recipient."""
    conn.execute(
        wechat_previews.insert().values(
            account=account, issue_id=issue_id, draft_media_id=draft.media_id,
            draft_version=draft.version, recipient=recipient, msg_id=msg_id, sent_at=now,
        )
    )  # fmt: skip
