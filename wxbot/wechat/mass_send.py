"""Mass send: push a draft to followers, preview it on one phone, read a send's status.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
``sendall`` always carries a ``clientmsgid``: WeChat refuses a repeat within 24 h with 45065 and
the first msg_id, so a repeat can never send twice. But a repeat within a minute only gets 45066,
so this module never repeats the call itself: :mod:`wxbot.publishing.mass` waits past the minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import WeChatApi
from .errors import CLIENTMSGID_REPEATED, WeChatError, WeChatNetworkError
from .limits import CLIENTMSGID_MAX_BYTES


@dataclass(frozen=True)
class SendAccepted:
    """WeChat took the send: its msg_id, and whether an earlier call had already sent it."""

    msg_id: str
    msg_data_id: str = ""
    duplicate: bool = False


def send_to_followers(
    api: WeChatApi,
    media_id: str,
    *,
    clientmsgid: str,
    tag_id: int | None = None,
    send_ignore_reprint: int | None = None,
) -> SendAccepted:
    """Send a draft to every follower, or to those carrying ``tag_id``.

    45065 (clientmsgid already used) is the answer to a repeat of an accepted send: it comes
    back as ``duplicate=True`` with the first msg_id, not as an error. Made once, never
    repeated here: a repeat within a minute could only get 45066.
    :raises WeChatError: for every other errcode (45028 no quota, 45066 retried too fast…).
    :raises WeChatNetworkError: when no answer came (the send may have gone out).
    https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
    """
    if not clientmsgid or len(clientmsgid.encode("utf-8")) > CLIENTMSGID_MAX_BYTES:
        raise ValueError(f"clientmsgid must be 1 to {CLIENTMSGID_MAX_BYTES} bytes")
    body = {
        "filter": {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id},
        "mpnews": {"media_id": media_id},
        "msgtype": "mpnews",
        # 1 = keep sending when judged a permitted reprint, 0 = stop; default: [publish].
        "send_ignore_reprint": (
            api.send_ignore_reprint if send_ignore_reprint is None else send_ignore_reprint
        ),
        "clientmsgid": clientmsgid,
    }
    try:
        answer = api.post("message/mass/sendall", body, idempotent=False)
    except WeChatError as exc:
        if exc.errcode == CLIENTMSGID_REPEATED and exc.data.get("msg_id"):
            return SendAccepted(str(exc.data["msg_id"]), duplicate=True)
        raise
    if not answer.get("msg_id"):
        raise WeChatNetworkError("message/mass/sendall", "the answer carried no msg_id")
    return SendAccepted(str(answer["msg_id"]), str(answer.get("msg_data_id", "")))


def preview(api: WeChatApi, media_id: str, *, openid: str = "", wxname: str = "") -> str:
    """Send a draft to one follower, by openid or by WeChat ID; return the msg_id.

    Not repeated on failure: a repeat would be a second message on the editor's phone.
    https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
    """
    if bool(openid) == bool(wxname):
        raise ValueError("preview needs exactly one of openid and wxname")
    target = {"touser": openid} if openid else {"towxname": wxname}
    body = {"mpnews": {"media_id": media_id}, "msgtype": "mpnews", **target}
    answer = api.post("message/mass/preview", body, idempotent=False)
    return str(answer.get("msg_id", ""))


def get_status(api: WeChatApi, msg_id: str) -> str:
    """Return a send's msg_status: SEND_SUCCESS, SENDING, SEND_FAIL or DELETE.

    The page types ``msg_id`` as a string (msg_ids outgrow JSON numbers some parsers keep).
    https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
    """
    answer = api.post("message/mass/get", {"msg_id": str(msg_id)}, idempotent=True)
    return str(answer.get("msg_status", ""))
