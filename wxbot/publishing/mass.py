"""Mass sends of prepared drafts: exactly one ``sendall`` per issue and audience.

Each send is recorded before the call (``sending``) and after it (``accepted``, ``refused``,
or ``unconfirmed`` when no answer came): :class:`~wxbot.states.SendStatus`. A retry with the
same clientmsgid is safe: WeChat answers 45065 with the first msg_id. A second send of an
issue to an audience it already reached (or may have reached) is refused here, whatever
clientmsgid it carries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy.exc import IntegrityError

from ..archive import get_issue
from ..runtime import Runtime
from ..states import DraftState, RunStatus, SendStatus
from ..storage import publications as store
from ..wechat import WeChatApi, WeChatError, WeChatNetworkError, account_key, mass_send
from ..wechat.errors import CLIENTMSGID_TOO_FAST, INVALID_MEDIA_ID
from ..wechat.limits import CLIENTMSGID_MAX_BYTES
from .records import AlreadySent, MassSendOutcome, MassSendStatus, PublishError, RunLog, run_log


def audience_of(tag_id: int | None) -> str:
    """Return the audience name of a send: ``all`` or ``tag:<id>``."""
    return "all" if tag_id is None else f"tag:{tag_id}"


def default_clientmsgid(issue_id: str, audience: str, draft_version: int = 1) -> str:
    """Return the clientmsgid of sending draft version ``draft_version`` of an issue to an audience.

    At most 64 bytes: readable (``wxbot:2026-06-13:all:v1``) when it fits, else hashed.
    """
    readable = f"wxbot:{issue_id}:{audience}:v{draft_version}"
    if len(readable.encode("utf-8")) <= CLIENTMSGID_MAX_BYTES:
        return readable
    return "wxbot:" + hashlib.sha256(readable.encode("utf-8")).hexdigest()[:48]


def send_mass(
    runtime: Runtime, issue_id: str, *, clientmsgid: str, tag_id: int | None = None
) -> MassSendOutcome:
    """Send the issue's prepared draft to every follower (or to a tag) with that clientmsgid.

    A clientmsgid WeChat already accepted returns its first msg_id with ``duplicate=True``.
    :raises AlreadySent: when another send of the issue reached (or may have reached) the
        same audience.
    :raises PublishError: when the issue has no draft in the box (prepare it first).
    :raises WeChatError, WeChatNetworkError: when WeChat refuses or does not answer; the send
        is then recorded as refused or unconfirmed (retry later with the same clientmsgid).
    """
    get_issue(runtime, issue_id)
    api = WeChatApi(runtime)
    with run_log(runtime, issue_id, "send") as run:
        outcome = send_prepared(runtime, api, run, issue_id, clientmsgid=clientmsgid, tag_id=tag_id)
        run.finish(
            RunStatus.DONE,
            f"msg_id {outcome.msg_id}" + (" (duplicate)" if outcome.duplicate else ""),
        )
    return outcome


def send_prepared(
    runtime: Runtime,
    api: WeChatApi,
    run: RunLog,
    issue_id: str,
    *,
    clientmsgid: str,
    tag_id: int | None,
) -> MassSendOutcome:
    """Run the ``sendall`` step within ``run`` (see :func:`send_mass`)."""
    audience = audience_of(tag_id)
    with run.step("sendall") as step:
        with runtime.db.begin() as conn:
            record = store.get_mass_send(conn, api.account, clientmsgid)
            draft = store.get_draft(conn, api.account, issue_id)
            blocking = store.blocking_mass_send(
                conn,
                api.account,
                issue_id,
                audience,
                statuses=SendStatus.where(lambda s: s.may_have_reached),
                except_clientmsgid=clientmsgid,
            )
        if record is not None and record.clientmsgid != clientmsgid:
            record = None  # found by msg_id: another send's
        if record is not None and record.msg_id:
            step.skip(f"already accepted: msg_id {record.msg_id} ({record.status})")
            return MassSendOutcome(issue_id, clientmsgid, record.msg_id, audience, tag_id, True)
        if blocking is not None:
            raise AlreadySent(_already_sent(issue_id, audience, blocking))
        if record is not None and record.status.is_unanswered:
            # The last call may have gone through: repeat it exactly, for the 45065 answer.
            draft = store.DraftRow(
                issue_id, record.draft_media_id, record.draft_version, "", "", DraftState.LIVE,
                record.updated_at,
            )  # fmt: skip
        elif draft is None or not draft.state.in_box:
            raise PublishError(
                f"issue {issue_id} has no draft in WeChat's draft box "
                f"({'never prepared' if draft is None else draft.state}); prepare it first"
            )
        accepted = _call(runtime, api, issue_id, clientmsgid, tag_id, audience, draft)
        text = f"msg_id {accepted.msg_id} to {audience}"
        if accepted.duplicate:
            step.skip(f"{text}: WeChat had already accepted clientmsgid {clientmsgid}")
        else:
            step.detail = f"{text} (clientmsgid {clientmsgid})"
    return MassSendOutcome(
        issue_id, clientmsgid, accepted.msg_id, audience, tag_id, accepted.duplicate
    )


def _call(
    runtime: Runtime,
    api: WeChatApi,
    issue_id: str,
    clientmsgid: str,
    tag_id: int | None,
    audience: str,
    draft: store.DraftRow,
) -> mass_send.SendAccepted:
    try:
        with runtime.db.begin_write() as conn:
            store.begin_mass_send(
                conn, api.account, issue_id=issue_id, clientmsgid=clientmsgid, audience=audience,
                tag_id=tag_id, draft=draft, now=runtime.now(),
            )  # fmt: skip
    except IntegrityError:  # another process started a send of this issue to this audience
        raise AlreadySent(
            f"issue {issue_id} is being sent to {audience} by another process"
        ) from None
    try:
        accepted = mass_send.send_to_followers(
            api, draft.media_id, clientmsgid=clientmsgid, tag_id=tag_id
        )
    except (WeChatError, WeChatNetworkError) as exc:
        unanswered = isinstance(exc, WeChatNetworkError) or exc.errcode == CLIENTMSGID_TOO_FAST
        errcode = exc.errcode if isinstance(exc, WeChatError) else None
        with runtime.db.begin() as conn:
            store.update_mass_send(
                conn, api.account, clientmsgid, runtime.now(),
                status=SendStatus.UNCONFIRMED if unanswered else SendStatus.REFUSED,
                errcode=errcode, error=str(exc),
            )  # fmt: skip
            if errcode == INVALID_MEDIA_ID:
                store.set_draft_state(
                    conn, api.account, draft.media_id, DraftState.GONE, runtime.now()
                )
        raise
    now = runtime.now()
    with runtime.db.begin() as conn:
        store.update_mass_send(
            conn, api.account, clientmsgid, now, status=SendStatus.ACCEPTED, msg_id=accepted.msg_id,
            msg_data_id=accepted.msg_data_id,
        )  # fmt: skip
        if tag_id is None:  # "after a to-all send the draft's media_id is consumed"
            store.set_draft_state(conn, api.account, draft.media_id, DraftState.MASS_SENT, now)
    return accepted


def _already_sent(issue_id: str, audience: str, send: store.MassSendRow) -> str:
    when = send.created_at.strftime("%Y-%m-%d %H:%M UTC")
    if send.status.is_unanswered:
        return (
            f"issue {issue_id} may already have gone to {audience}: the send of {when} "
            f"(clientmsgid {send.clientmsgid}) got no answer; re-run it with that clientmsgid "
            "(WeChat sends it at most once) instead of a new send"
        )
    return (
        f"issue {issue_id} already went to {audience} on {when} (msg_id {send.msg_id}); "
        "wxbot never sends an issue twice to one audience"
    )


def mass_send_status(runtime: Runtime, msg_id: str) -> MassSendStatus:
    """Ask WeChat how a send is going (``message/mass/get``) and update its record."""
    api = WeChatApi(runtime)
    status = mass_send.get_status(api, msg_id)
    with runtime.db.begin() as conn:
        record = store.get_mass_send(conn, api.account, msg_id)
        answer = MassSendStatus(msg_id, status)
        if record is not None and answer.outcome and record.status != answer.outcome:
            store.update_mass_send(
                conn, api.account, record.clientmsgid, runtime.now(), status=answer.outcome
            )
    return answer


def mass_send_record(runtime: Runtime, key: str) -> store.MassSendRow | None:
    """Return the recorded send with that msg_id or clientmsgid: status, counts, article URL."""
    with runtime.db.begin() as conn:
        return store.get_mass_send(conn, account_key(runtime.config), key)


def mass_sends_by_clientmsgid(
    runtime: Runtime, clientmsgids: Collection[str]
) -> dict[str, store.MassSendRow]:
    """Return ``{clientmsgid: send}`` of the recorded sends made with these clientmsgids."""
    with runtime.db.begin() as conn:
        return store.mass_sends_by_clientmsgid(conn, account_key(runtime.config), clientmsgids)


def mass_sends_of(runtime: Runtime, issue_id: str) -> list[store.MassSendRow]:
    """Return every recorded send of an issue, newest first."""
    with runtime.db.begin() as conn:
        return store.mass_sends_of(conn, account_key(runtime.config), issue_id)
