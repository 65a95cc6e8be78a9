"""Mass send: ``message/mass/sendall``, ``preview``, ``get``, ``delete``.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
Order of checks on sendall: the 60-a-minute rate, the clientmsgid (length — refused from
34 bytes, as reported in the field, though 64 are documented — then the 24 h
dedupe — so a retry of an accepted send is told 45065 even though its draft is consumed),
the draft, then the daily quota.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from . import events, limits, originality
from .drafts import live_draft
from .protocol import ApiError, Call, Reply, ok, require
from .publish import publish_article
from .state import MassSend, Preview, same_platform_day

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)


def sendall(account: Account, call: Call) -> Reply:
    """Accept a mass send of a draft to all followers or to a tag."""
    state, now = account.state, account.now()
    state.mass_requests = [t for t in state.mass_requests if now - t < 60]
    if len(state.mass_requests) >= limits.MASS_REQUESTS_PER_MINUTE:
        raise ApiError(45011, "mass send: 60 requests a minute")
    state.mass_requests.append(now)
    body = call.json()
    media_id = _mpnews_media_id(body)
    is_to_all, tag_id = _scope(account, body)
    given = body.get("clientmsgid")
    if given is not None and not isinstance(given, str):
        raise ApiError(40097, "clientmsgid must be a string")
    if given and _too_long(given):
        raise ApiError(45067)
    # Without one, "后台默认以群发范围和群发内容的摘要值做为clientmsgid".
    clientmsgid = given or _default_clientmsgid(body["filter"], media_id)
    _refuse_repeat(account, clientmsgid, now)
    draft = live_draft(account, media_id)
    today = [m for m in state.mass_sends if same_platform_day(m.submitted_at, now)]
    if len(today) >= account.settings.mass_daily_quota:
        raise ApiError(45028)
    recipients = sorted(
        openid for openid, tags in state.followers.items() if is_to_all or tag_id in tags
    )
    send = MassSend(
        msg_id=state.number(),
        msg_data_id=state.number(),
        event_msg_id=state.number(),
        media_id=media_id,
        clientmsgid=clientmsgid,
        clientmsgid_given=bool(given),
        is_to_all=is_to_all,
        tag_id=tag_id,
        send_ignore_reprint=1 if body.get("send_ignore_reprint") in (1, "1", True) else 0,
        articles=[dict(a) for a in draft.articles],
        recipients=recipients,
        submitted_at=now,
        due_at=now + account.settings.mass_send_delay,
    )
    outcome = account.faults.take_outcome("message/mass/sendall")
    if outcome is not None and outcome.mass_status is not None:
        send.outcome = outcome.mass_status
    verdict = originality.judge(state.originals, send.articles, send.send_ignore_reprint)
    send.copyright_check = verdict.copyright_check
    if verdict.stopped_status is not None:
        send.outcome = verdict.stopped_status
    state.mass_sends.append(send)
    # "上传到草稿箱中的素材被群发或发布后，该素材将从草稿箱中移除": any 群发, a tag send too.
    # https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add
    draft.removed = "mass_sent"
    logger.info("mass send %s of %s to %d followers", send.msg_id, media_id, len(recipients))
    return Reply(
        {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": send.msg_id,
            "msg_data_id": send.msg_data_id,
        }
    )


def complete_due(account: Account) -> None:
    """End every mass send whose time has come and queue its MASSSENDJOBFINISH."""
    now = account.now()
    for send in account.state.mass_sends:
        if send.status != "SENDING" or now < send.due_at:
            continue
        send.finished_at = now
        if send.outcome == "send success":
            send.status = "SEND_SUCCESS"
            send.article_id = publish_article(account, "mass", send.articles).article_id
        else:
            send.status = "SEND_FAIL"
        logger.info("mass send %s finished: %s", send.msg_id, send.outcome)
        events.queue_mass_finished(account, send)


def preview(account: Account, call: Call) -> Reply:
    """Send a draft to one follower (``touser`` openid or ``towxname``) for checking."""
    body = call.json()
    media_id = _mpnews_media_id(body)
    touser, towxname = body.get("touser") or "", body.get("towxname") or ""
    if not touser and not towxname:
        raise ApiError(40097, "touser or towxname is required")
    if touser and touser not in account.state.followers:
        raise ApiError(40003)
    live_draft(account, media_id)
    item = Preview(account.state.number(), media_id, touser, towxname, account.now())
    account.state.previews.append(item)
    return Reply({"errcode": 0, "errmsg": "preview success", "msg_id": item.msg_id})


def get_status(account: Account, call: Call) -> Reply:
    """Answer a mass send's msg_status: SEND_SUCCESS, SENDING, SEND_FAIL or DELETE.

    The page types the request's ``msg_id`` as a string, "群发消息后返回的消息id" (sendall's
    msg_id, not MASSSENDJOBFINISH's MsgID), and answers 40059 "invalid msg id" for a wrong
    one; its example answer carries the msg_id as a number.
    https://developers.weixin.qq.com/doc/service/api/notify/message/api_massmsgget
    """
    msg_id = call.json().get("msg_id")
    if not isinstance(msg_id, str) or not msg_id.isdigit():
        raise ApiError(40059, "msg_id must be the string sendall answered")
    send = account.state.mass_send(int(msg_id))
    if send is None:
        raise ApiError(40059)
    return Reply({"msg_id": send.msg_id, "msg_status": send.status})


def delete(account: Account, call: Call) -> Reply:
    """Delete a sent mass message (only successful sends can be deleted)."""
    send = _find(account, require(call.json(), "msg_id", (str, int)))
    if send.status != "SEND_SUCCESS":
        raise ApiError(40097, "only a successful send can be deleted")
    send.status = "DELETE"
    article = account.state.articles.get(send.article_id)
    if article is not None:
        article.deleted.update(range(1, len(article.articles) + 1))
    return ok()


def _find(account: Account, msg_id: str | int) -> MassSend:
    try:
        number = int(msg_id)
    except ValueError:
        raise ApiError(40097, "msg_id must be a number") from None
    send = account.state.mass_send(number)
    if send is None:
        raise ApiError(40097, "no such msg_id")
    return send


def _mpnews_media_id(body: dict[str, Any]) -> str:
    if body.get("msgtype") != "mpnews":
        raise ApiError(40008, "the sandbox simulates mpnews only")
    mpnews = body.get("mpnews")
    media_id = mpnews.get("media_id") if isinstance(mpnews, dict) else None
    if not isinstance(media_id, str) or not media_id:
        raise ApiError(40007, "mpnews.media_id is required")
    return media_id


def _scope(account: Account, body: dict[str, Any]) -> tuple[bool, int | None]:
    scope = body.get("filter")
    if not isinstance(scope, dict):
        raise ApiError(40097, "filter is required")
    if scope.get("is_to_all") in (True, "true", 1):
        return True, None
    tag_id = scope.get("tag_id")
    if tag_id is None or isinstance(tag_id, bool):
        raise ApiError(40097, "filter.tag_id is required unless is_to_all")
    try:
        tag = int(tag_id)
    except (TypeError, ValueError):
        raise ApiError(40097, "filter.tag_id must be a number") from None
    if tag not in account.state.tags:
        raise ApiError(40050, "no such tag")
    return False, tag


def _refuse_repeat(account: Account, clientmsgid: str, now: float) -> None:
    for send in reversed(account.state.mass_sends):
        if send.clientmsgid != clientmsgid:
            continue
        age = now - send.submitted_at
        if age >= limits.CLIENTMSGID_DEDUPE_SECONDS:
            return
        if age < account.settings.clientmsgid_retry_interval:
            raise ApiError(45066)
        raise ApiError(45065, msg_id=send.msg_id)


def _too_long(clientmsgid: str) -> bool:
    size = len(clientmsgid.encode("utf-8"))
    return size > limits.CLIENTMSGID_MAX_BYTES or size >= limits.CLIENTMSGID_REFUSED_FROM


def _default_clientmsgid(scope: Any, media_id: str) -> str:
    digest = json.dumps([scope, "mpnews", media_id], sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(digest.encode("utf-8")).hexdigest()
