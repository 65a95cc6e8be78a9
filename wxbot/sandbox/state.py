"""Everything the simulated account holds, as plain records a test can inspect."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from .limits import PLATFORM_UTC_OFFSET_SECONDS
from .originality import Original

DAY_SECONDS = 86400


def same_platform_day(a: float, b: float) -> bool:
    """Return whether two Unix times fall on the same day in China Standard Time."""
    offset = PLATFORM_UTC_OFFSET_SECONDS
    return (a + offset) // DAY_SECONDS == (b + offset) // DAY_SECONDS


@dataclass
class AccessToken:
    """One issued access_token; ``kind`` is ``token`` or ``stable`` (the two never mix)."""

    value: str
    kind: str
    issued_at: float
    expires_at: float
    revoked_at: float | None = None  # superseded: dies at this time, answering 40001 after


@dataclass
class TokenFetch:
    """One successful call to /cgi-bin/token or /cgi-bin/stable_token."""

    at: float
    endpoint: str
    token: str
    new: bool
    force_refresh: bool = False


@dataclass
class Material:
    """A permanent material (image or thumb) or an uploadimg picture, served back at ``url``."""

    media_id: str
    kind: str  # image, thumb or uploadimg
    image_format: str
    data: bytes
    filename: str
    url: str
    created_at: float


@dataclass
class Draft:
    """A draft in the draft box; ``removed`` says why it left (deleted, published, mass_sent)."""

    media_id: str
    articles: list[dict[str, Any]]
    created_at: float
    updated_at: float
    removed: str = ""
    filtered_images: list[str] = field(default_factory=list)


@dataclass
class PublishedArticle:
    """An article (a set of items) with public URLs, from a publish or a mass send."""

    article_id: str
    source: str  # freepublish or mass
    articles: list[dict[str, Any]]
    urls: list[str]
    published_at: float
    deleted: set[int] = field(default_factory=set)  # 1-based idx of deleted items


@dataclass
class PublishJob:
    """One freepublish/submit; ``status`` goes from 1 (publishing) to its ``outcome``."""

    publish_id: str
    msg_data_id: int
    media_id: str
    articles: list[dict[str, Any]]
    submitted_at: float
    due_at: float
    outcome: int = 0
    fail_idx: list[int] = field(default_factory=list)
    status: int = 1
    article_id: str = ""
    finished_at: float | None = None


@dataclass
class MassSend:
    """One accepted message/mass/sendall; ``status`` is what message/mass/get answers."""

    msg_id: int
    msg_data_id: int
    #: MASSSENDJOBFINISH's MsgID (see :func:`wxbot.sandbox.events.mass_finished_xml`).
    event_msg_id: int
    media_id: str
    clientmsgid: str
    clientmsgid_given: bool
    is_to_all: bool
    tag_id: int | None
    send_ignore_reprint: int
    articles: list[dict[str, Any]]
    recipients: list[str]
    submitted_at: float
    due_at: float
    outcome: str = "send success"
    status: str = "SENDING"
    article_id: str = ""
    finished_at: float | None = None
    #: The originality check's CopyrightCheckResult (see :mod:`.originality`).
    copyright_check: dict[str, Any] = field(
        default_factory=lambda: {"Count": 0, "ResultList": {}, "CheckState": 1}
    )


@dataclass
class Preview:
    """One message/mass/preview."""

    msg_id: int
    media_id: str
    touser: str
    towxname: str
    at: float


@dataclass
class Delivery:
    """One completion event and what happened when the sandbox POSTed it to the callback."""

    event: str
    ref: str  # publish_id or msg_id
    url: str
    xml: str
    queued_at: float
    tries: int = 0
    outcome: str = "pending"  # pending, delivered, failed, skipped
    statuses: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class MenuButton:
    """One button of the custom menu: an action (type and its key, url…) or sub-buttons."""

    name: str
    type: str = ""
    key: str = ""
    url: str = ""
    appid: str = ""
    pagepath: str = ""
    media_id: str = ""
    article_id: str = ""
    sub_buttons: tuple[MenuButton, ...] = ()


@dataclass
class FollowerMessage:
    """A follower's message or event the sandbox delivered to the callback, and the answer."""

    msg_id: int
    openid: str
    xml: str
    at: float
    kind: str  # message, click or subscribe: what opens a customer-service window
    text: str = ""
    tries: int = 0
    statuses: list[str] = field(default_factory=list)
    reply: str = ""
    answer: str = ""  # the reply as the callback sent it (sealed in safe mode)


@dataclass
class Interaction:
    """A follower's latest interaction: the customer-service window it opened, and its use."""

    kind: str
    at: float
    sent: int = 0


@dataclass
class CustomMessage:
    """A customer-service message the account sent to a follower (message/custom/send)."""

    touser: str
    msgtype: str
    body: dict[str, Any]
    at: float


@dataclass
class SandboxState:
    """All records of one simulated account; guarded by the account's lock."""

    tokens: dict[str, AccessToken] = field(default_factory=dict)
    current_token: str = ""
    current_stable: str = ""
    token_fetches: list[TokenFetch] = field(default_factory=list)
    force_refreshes: list[float] = field(default_factory=list)
    materials: dict[str, Material] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    publishes: dict[str, PublishJob] = field(default_factory=dict)
    articles: dict[str, PublishedArticle] = field(default_factory=dict)
    mass_sends: list[MassSend] = field(default_factory=list)
    mass_requests: list[float] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    followers: dict[str, set[int]] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)
    originals: list[Original] = field(default_factory=list)
    menu: list[MenuButton] | None = None  # None: no menu (never created, or deleted)
    menu_id: int = 0
    follower_messages: list[FollowerMessage] = field(default_factory=list)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    custom_messages: list[CustomMessage] = field(default_factory=list)
    next_number: int = 1000000001

    def number(self) -> int:
        """Return the next numeric id (msg_id, publish_id, msg_data_id)."""
        self.next_number += 1
        return self.next_number

    @staticmethod
    def new_id(length: int = 48) -> str:
        """Return an opaque id shaped like WeChat's media ids."""
        return secrets.token_urlsafe(length)[:length]

    def uploads(self, kind: str | None = None) -> list[Material]:
        """Return materials and uploadimg pictures, optionally of one kind, oldest first."""
        return [m for m in self.materials.values() if kind is None or m.kind == kind]

    def live_drafts(self) -> list[Draft]:
        """Return the drafts still in the draft box, newest first."""
        live = [d for d in self.drafts.values() if not d.removed]
        return sorted(live, key=lambda d: d.updated_at, reverse=True)

    def mass_send(self, msg_id: int) -> MassSend | None:
        """Return the mass send with ``msg_id``, if any."""
        return next((m for m in self.mass_sends if m.msg_id == msg_id), None)

    def snapshot(self, now: float) -> dict[str, Any]:
        """Return a JSON-able summary for ``GET /sandbox/state``."""
        fetches = self.token_fetches
        return {
            "now": _iso(now),
            "tokens": {
                "fetched": len(fetches),
                "token_calls": sum(f.endpoint == "token" for f in fetches),
                "stable_token_calls": sum(f.endpoint == "stable_token" for f in fetches),
                "issued": len(self.tokens),
                "valid": sum(_alive(t, now) for t in self.tokens.values()),
                "force_refreshes": len(self.force_refreshes),
            },
            "materials": [
                {
                    "media_id": m.media_id,
                    "type": m.kind,
                    "format": m.image_format,
                    "bytes": len(m.data),
                    "url": m.url,
                }
                for m in self.materials.values()
                if m.kind != "uploadimg"
            ],
            "uploadimg": [
                {"url": m.url, "format": m.image_format, "bytes": len(m.data)}
                for m in self.uploads("uploadimg")
            ],
            "drafts": [
                {
                    "media_id": d.media_id,
                    "titles": [a["title"] for a in d.articles],
                    "removed": d.removed,
                    "filtered_images": d.filtered_images,
                }
                for d in self.drafts.values()
            ],
            "publishes": [
                {
                    "publish_id": p.publish_id,
                    "media_id": p.media_id,
                    "status": p.status,
                    "article_id": p.article_id,
                    "fail_idx": p.fail_idx,
                }
                for p in self.publishes.values()
            ],
            "mass_sends": [
                {
                    "msg_id": m.msg_id,
                    "media_id": m.media_id,
                    "clientmsgid": m.clientmsgid,
                    "is_to_all": m.is_to_all,
                    "tag_id": m.tag_id,
                    "status": m.status,
                    "recipients": len(m.recipients),
                    "submitted_at": _iso(m.submitted_at),
                }
                for m in self.mass_sends
            ],
            "previews": [
                {
                    "msg_id": p.msg_id,
                    "media_id": p.media_id,
                    "touser": p.touser,
                    "towxname": p.towxname,
                }
                for p in self.previews
            ],
            "deliveries": [
                {
                    "event": d.event,
                    "ref": d.ref,
                    "outcome": d.outcome,
                    "tries": d.tries,
                    "statuses": d.statuses,
                }
                for d in self.deliveries
            ],
            "menu": None if self.menu is None else [_menu_button(b) for b in self.menu],
            "menu_id": self.menu_id if self.menu is not None else None,
            "custom_messages": [custom_message_view(m) for m in self.custom_messages],
            "followers": len(self.followers),
            "tags": {str(tag_id): name for tag_id, name in self.tags.items()},
        }


def _menu_button(button: MenuButton) -> dict[str, Any]:
    out: dict[str, Any] = {"name": button.name}
    if button.sub_buttons:
        out["sub_buttons"] = [_menu_button(b) for b in button.sub_buttons]
    else:
        out |= {"type": button.type, "key": button.key, "url": button.url}
    return out


def custom_message_view(message: CustomMessage) -> dict[str, Any]:
    """Return a customer-service message as ``/sandbox/state`` shows it."""
    return {
        "touser": message.touser,
        "msgtype": message.msgtype,
        message.msgtype: message.body,
        "at": _iso(message.at),
    }


def _alive(token: AccessToken, now: float) -> bool:
    return now < token.expires_at and (token.revoked_at is None or now < token.revoked_at)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")
