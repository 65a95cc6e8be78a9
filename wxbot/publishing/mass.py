"""Mass sends of prepared drafts: exactly one ``sendall`` per issue and audience.

Each send is recorded before the call (``sending``) and after it (``accepted``, ``refused``,
or ``unconfirmed`` when no answer came): :class:`~wxbot.states.SendStatus`. A retry with the
same clientmsgid is safe: WeChat answers 45065 with the first msg_id — but only after a
minute; sooner it answers 45066, which says nothing. So a call without an answer is repeated
once, past the minute (the scheduler instead retries the job later). A second send of an
issue to an audience it already reached (or may have reached) is refused here, whatever
clientmsgid it carries.

"上传到草稿箱中的素材被群发或发布后，该素材将从草稿箱中移除" — any 群发, a tag send too: a send
consumes its draft, and a send that finds its draft gone (40007) has it made again and is
retried once, unless an earlier call of it may have gone out.
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ..archive import get_issue
from ..config.accounts import DEFAULT_ACCOUNT
from ..runtime import Runtime
from ..states import DraftState, RunStatus, SendStatus
from ..storage import publications as store
from ..wechat import WeChatApi, WeChatError, WeChatNetworkError, account_key, mass_send
from ..wechat.errors import CLIENTMSGID_TOO_FAST, INVALID_MEDIA_ID, SYSTEM_BUSY
from ..wechat.limits import CLIENTMSGID_MAX_BYTES, CLIENTMSGID_RETRY_AFTER
from .prepare import prepare_draft
from .records import AlreadySent, MassSendOutcome, MassSendStatus, PublishError, RunLog, run_log
from .results import record_mass_status


def audience_of(tag_id: int | None) -> str:
    """Return the audience name of a send: ``all`` or ``tag:<id>``."""
    return "all" if tag_id is None else f"tag:{tag_id}"


def default_clientmsgid(
    issue_id: str, audience: str, draft_version: int = 1, account: str = DEFAULT_ACCOUNT
) -> str:
    """Return the clientmsgid of sending draft version ``draft_version`` of an issue to an audience.

    At most 32 bytes (longer ones have been refused with 45067): readable
    (``wxbot:2026-06-13:all:v1``; another account's names it: ``wxbot:gongye:2026-06-13:all:v1``)
    when it fits, else hashed.
    """
    scope = "" if account == DEFAULT_ACCOUNT else f"{account}:"
    readable = f"wxbot:{scope}{issue_id}:{audience}:v{draft_version}"
    if len(readable.encode("utf-8")) <= CLIENTMSGID_MAX_BYTES:
        return readable
    prefix = "wxbot:"
    digest = hashlib.sha256(readable.encode("utf-8")).hexdigest()
    return prefix + digest[: CLIENTMSGID_MAX_BYTES - len(prefix)]


def is_unanswered(error: Exception) -> bool:
    """Return whether a failed sendall may have gone out: no answer, "busy", or "too fast"."""
    if isinstance(error, WeChatNetworkError):
        return True
    return isinstance(error, WeChatError) and error.errcode in (SYSTEM_BUSY, CLIENTMSGID_TOO_FAST)


def send_mass(
    runtime: Runtime,
    issue_id: str,
    *,
    clientmsgid: str,
    tag_id: int | None = None,
    wait_out_minute: bool = True,
) -> MassSendOutcome:
    """Send the issue's prepared draft to every follower (or to a tag) with that clientmsgid.

    A clientmsgid WeChat already accepted returns its first msg_id with ``duplicate=True``.
    :param wait_out_minute: when the call gets no answer, wait past WeChat's minute
        (``runtime.sleep``) and repeat it; the scheduler passes False and retries the job later.
    :raises AlreadySent: when another send of the issue reached (or may have reached) the
        same audience.
    :raises PublishError: when the issue has no draft in the box (prepare it first).
    :raises WeChatError, WeChatNetworkError: when WeChat refuses or does not answer; the send
        is then recorded as refused or unconfirmed (retry later with the same clientmsgid).
    """
    get_issue(runtime, issue_id)
    api = WeChatApi(runtime)
    with run_log(runtime, issue_id, "send") as run:
        outcome = send_prepared(
            runtime, api, run, issue_id, clientmsgid=clientmsgid, tag_id=tag_id,
            wait_out_minute=wait_out_minute,
        )  # fmt: skip
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
    wait_out_minute: bool = True,
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
        may_have_gone = record is not None and record.status.is_unanswered
        if may_have_gone:
            assert record is not None
            # The last call may have gone through: repeat it exactly, for the 45065 answer.
            draft = store.DraftRow(
                issue_id, record.draft_media_id, record.draft_version, "", "", DraftState.LIVE,
                record.updated_at,
            )  # fmt: skip
        elif draft is None:
            raise PublishError(
                f"issue {issue_id} has no draft in WeChat's draft box (never prepared); "
                "prepare it first"
            )
        call = _Call(runtime, api, run, issue_id, clientmsgid, tag_id, audience)
        if not may_have_gone and not draft.state.in_box:  # consumed by an earlier send
            draft = call.remake_draft()
        accepted = call.until_answered(draft, may_have_gone=may_have_gone, wait=wait_out_minute)
        text = f"msg_id {accepted.msg_id} to {audience}"
        if accepted.duplicate:
            step.skip(f"{text}: WeChat had already accepted clientmsgid {clientmsgid}")
        else:
            step.detail = f"{text} (clientmsgid {clientmsgid})"
    return MassSendOutcome(
        issue_id, clientmsgid, accepted.msg_id, audience, tag_id, accepted.duplicate
    )


@dataclass(frozen=True)
class _Call:
    """One sendall of an issue to an audience under one clientmsgid, made until answered."""

    runtime: Runtime
    api: WeChatApi
    run: RunLog
    issue_id: str
    clientmsgid: str
    tag_id: int | None
    audience: str

    def until_answered(
        self, draft: store.DraftRow, *, may_have_gone: bool, wait: bool
    ) -> mass_send.SendAccepted:
        """Make the call; past the minute once more if unanswered, on a re-made draft if gone."""
        waited = remade = False
        while True:
            try:
                return _call(self, draft)
            except (WeChatError, WeChatNetworkError) as exc:
                if is_unanswered(exc):
                    may_have_gone = True
                    if not wait or waited:
                        raise
                    waited = True
                    self._wait_out_minute(exc)
                elif not isinstance(exc, WeChatError) or exc.errcode != INVALID_MEDIA_ID or remade:
                    raise
                elif may_have_gone:
                    raise PublishError(
                        f"the draft of issue {self.issue_id} is gone (40007), and an earlier "
                        f"sendall of it (clientmsgid {self.clientmsgid}) got no answer: it may "
                        "have gone out and consumed the draft. Check 群发记录 in the console "
                        "before sending it again"
                    ) from exc
                else:
                    remade = True
                    draft = self.remake_draft()

    def _wait_out_minute(self, error: Exception) -> None:
        self.run.record(
            "wait",
            f"no answer from sendall ({error}); WeChat refuses the same clientmsgid within a "
            f"minute (45066), so wxbot waits {CLIENTMSGID_RETRY_AFTER:.0f} s and asks again "
            f"with clientmsgid {self.clientmsgid} (it sends at most once)",
        )
        self.runtime.sleep(CLIENTMSGID_RETRY_AFTER)

    def remake_draft(self) -> store.DraftRow:
        """Make the issue's draft anew: the last one was consumed, or deleted in the console."""
        issue = get_issue(self.runtime, self.issue_id)
        made = prepare_draft(self.runtime, self.api, self.run, issue)
        # This very draft, not whatever the record says now: another worker may be making and
        # sending its own.
        return store.DraftRow(
            self.issue_id, made.media_id, made.version, made.content_sha256, made.title,
            DraftState.LIVE, self.runtime.now(),
        )  # fmt: skip


def _call(call: _Call, draft: store.DraftRow) -> mass_send.SendAccepted:
    runtime, api, issue_id, clientmsgid = call.runtime, call.api, call.issue_id, call.clientmsgid
    tag_id, audience = call.tag_id, call.audience
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
        unanswered = is_unanswered(exc)
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
        # "被群发或发布后，该素材将从草稿箱中移除": to all or to a tag, the draft is consumed.
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
    if record is not None:
        record_mass_status(runtime, api.account, record.clientmsgid, status, finish_job=False)
    return MassSendStatus(msg_id, status)


def mass_send_record(runtime: Runtime, key: str) -> store.MassSendRow | None:
    """Return the recorded send with that msg_id or clientmsgid: status, counts, article URL."""
    with runtime.db.begin() as conn:
        return store.get_mass_send(conn, account_key(runtime.settings.wechat), key)


def mass_sends_by_clientmsgid(
    runtime: Runtime, clientmsgids: Collection[str]
) -> dict[str, store.MassSendRow]:
    """Return ``{clientmsgid: send}`` of the recorded sends made with these clientmsgids."""
    if not clientmsgids:
        return {}  # no transaction for nothing: an issue page without jobs asks this
    with runtime.db.begin() as conn:
        return store.mass_sends_by_clientmsgid(
            conn, account_key(runtime.settings.wechat), clientmsgids
        )


def mass_sends_of(runtime: Runtime, issue_id: str) -> list[store.MassSendRow]:
    """Return every recorded send of an issue, newest first."""
    with runtime.db.begin() as conn:
        return store.mass_sends_of(conn, account_key(runtime.settings.wechat), issue_id)
