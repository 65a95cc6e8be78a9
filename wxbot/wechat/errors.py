"""WeChat's answers as wxbot's own errors, each errcode explained in plain words.

https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
Messages never carry the AppSecret or an access_token: :func:`redact` scrubs what libraries say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import WxbotError

# The errcodes wxbot acts on, each defined here once; the rest are only explained.
#: WeChat is busy: the only errcode the client retries at once, with backoff.
SYSTEM_BUSY = -1
#: The access_token is invalid, malformed or expired: refresh it once, retry once.
INVALID_CREDENTIAL = 40001
INVALID_ACCESS_TOKEN = 40014
ACCESS_TOKEN_EXPIRED = 42001
TOKEN_ERRCODES = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})
#: The media_id names nothing WeChat has: the draft was consumed or deleted; make it again.
INVALID_MEDIA_ID = 40007
#: The account used up an API's daily quota, or its calls per minute: try again later.
API_DAILY_QUOTA = 45009
API_MINUTE_LIMIT = 45011
#: No mass-send quota left today (or this month).
MASS_SEND_QUOTA = 45028
#: The clientmsgid was accepted before (the answer carries the first msg_id): not sent again.
CLIENTMSGID_REPEATED = 45065
#: The same send was retried within a minute: unanswered, not refused; try again later.
CLIENTMSGID_TOO_FAST = 45066
#: A customer-service message outside the window the follower opened (48 h after a message,
#: 1 minute after a menu click or a subscribe), or to someone who unfollowed; and one over
#: that window's quota (5 after a message, 3 after a click). Neither passes by retrying.
#: https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
RESPONSE_OUT_OF_TIME = 45015
RESPONSE_COUNT_LIMIT = 45047
#: The caller's IP is not on the whitelist; WeChat's errmsg names it ("invalid ip 1.2.3.4 …").
IP_NOT_WHITELISTED = 40164
#: The call came from an IP an administrator has to confirm first (89506/89507: refused).
#: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
ADMIN_MUST_CONFIRM = 89503

#: What each errcode means for whoever runs wxbot, and what to do about it.
EXPLANATIONS: dict[int, str] = {
    SYSTEM_BUSY: "WeChat is busy; wxbot retried with backoff where that is safe — try again "
    "shortly",
    INVALID_CREDENTIAL: "the access_token is invalid or was replaced by a newer one (another "
    "program fetching tokens for this account?); wxbot refreshed it once",
    40002: "the token request named a wrong grant_type",
    40003: "that openid is not a follower of this account",
    40004: "WeChat does not take that kind of media here",
    40005: "WeChat does not take that file type (uploadimg takes jpg/png; thumbs are JPG)",
    40006: "the file is larger than WeChat allows",
    INVALID_MEDIA_ID: "the media_id is not valid (the draft was published, mass-sent or deleted, "
    "or the material does not exist)",
    40008: "WeChat does not know that message type",
    40009: "the image is larger than WeChat allows",
    40012: "the thumb is larger than WeChat's 64 KB",
    40013: "the AppID is wrong: check [wechat] appid",
    INVALID_ACCESS_TOKEN: "the access_token is malformed; wxbot refreshed it once",
    # menu/create: https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
    40016: "the menu must have 1 to 3 buttons: fix [menu] buttons",
    40017: "a menu button's type is not one WeChat knows (or it has both a type and "
    "sub_buttons): fix [menu] buttons",
    40018: "a menu button's name is too long (at most 16 bytes: 5 Chinese characters)",
    40019: "a menu button's key is too long (at most 128 bytes)",
    40020: "a menu button's url is too long (at most 1024 bytes)",
    40022: "sub-buttons cannot have sub-buttons of their own",
    40023: "a menu button must have 1 to 5 sub_buttons",
    40024: "a sub-button's type is not one WeChat knows: fix [menu] buttons",
    40025: "a sub-button's name is too long (at most 60 bytes: 20 Chinese characters)",
    40026: "a sub-button's key is too long (at most 128 bytes)",
    40027: "a sub-button's url is too long (at most 1024 bytes)",
    40054: "a sub-button's url is not a web address WeChat accepts (http:// or https://)",
    40055: "a menu button's url is not a web address WeChat accepts (http:// or https://)",
    40050: "there is no follower tag with that id",
    40059: "WeChat knows no mass send by this msg_id (give the msg_id sendall answered)",
    40097: "WeChat rejected an argument of the call",
    40125: "the AppSecret is wrong: check [wechat] secret (reset it in 开发 → 基本配置)",
    IP_NOT_WHITELISTED: "this server's outgoing IP address{ip} is not on the account's IP "
    "whitelist: an administrator must add it in 设置与开发 → 基本配置 → IP白名单, then re-run",
    41001: "the call carried no access_token",
    41002: "the token request carried no AppID: set [wechat] appid",
    41004: "the token request carried no AppSecret: set [wechat] secret",
    41005: "the upload carried no file",
    ACCESS_TOKEN_EXPIRED: "the access_token expired; wxbot refreshed it once",
    43001: "the call must be a GET",
    43002: "the call must be a POST",
    44002: "the call's body was empty",
    44003: "the draft has no article content",
    45001: "the file is larger than WeChat allows",
    45002: "the article is too long (fewer than 20,000 characters, tags included, and under 1 MB)",
    45003: "the title is too long (at most 32 characters)",
    45004: "the digest is too long (at most 128 characters)",
    45005: "the 阅读原文 link is too long (at most 1 KB)",
    45008: "a draft holds at most 8 articles",
    API_DAILY_QUOTA: "the account used up today's quota for this API: wait until it resets at "
    "midnight Beijing time, or have an administrator reset it (设置与开发 → 接口权限, or "
    "clear_quota) — the call was not made",
    API_MINUTE_LIMIT: "too many calls in a minute; wait a minute and try again",
    MASS_SEND_QUOTA: "the account has no mass-send quota left (a subscription account sends once a "
    "day; a service account 4 times a month)",
    CLIENTMSGID_REPEATED: "a send with this clientmsgid was already accepted in the last 24 hours",
    CLIENTMSGID_TOO_FAST: "the same send was retried within a minute; wait a minute and re-run — "
    "the same clientmsgid makes the re-run safe",
    RESPONSE_OUT_OF_TIME: "the follower's window for customer-service messages has closed (48 "
    "hours after their last message, 1 minute after a menu click or a subscribe), or they "
    "unfollowed",
    RESPONSE_COUNT_LIMIT: "the follower's quota of customer-service messages is used up (5 per "
    "message they send, 3 per menu click or subscribe)",
    45067: "the clientmsgid is too long (64 bytes are documented; 34 characters have been refused)",
    45110: "the author is too long (at most 16 characters)",
    45166: "the article content was refused: it links to sites other than mp.weixin.qq.com "
    "(print addresses as text)",
    47001: "WeChat could not read the call's data (malformed JSON)",
    48001: "this account is not authorised for this API: check 设置与开发 → 接口权限 "
    "(unverified and personal accounts lost the freepublish and mass-send APIs in July 2025; "
    "verify the account, or publish from the web console)",
    53402: "WeChat could not crop the cover",
    53503: "WeChat's publish check refused this draft: open it in the web console's draft box "
    "(草稿箱) to see why, fix the issue, and re-run",
    53504: "this draft can only be published from the web console: open 草稿箱 in "
    "mp.weixin.qq.com and publish it there",
    53505: "this draft must be saved by hand first: open it in the web console's 草稿箱, save "
    "it, then re-run",
    ADMIN_MUST_CONFIRM: "calls from this server's IP address need an administrator's "
    "confirmation: the admin must approve it in the WeChat message WeChat sent them, then re-run",
    89506: "an administrator refused calls from this server's IP address twice in 24 hours: "
    "it is blocked for 24 hours — ask the admin to approve it, or add it to the IP whitelist",
    89507: "an administrator refused calls from this server's IP address: it is blocked for an "
    "hour — ask the admin to approve it next time, or add it to the IP whitelist",
    53600: "that article_id is not a published article",
}


_IP_IN_ERRMSG = re.compile(r"invalid ip ([0-9a-fA-F.:]+)")


def explain(errcode: int, errmsg: str = "") -> str:
    """Return what ``errcode`` means in plain words, naming the IP WeChat's ``errmsg`` quotes."""
    text = EXPLANATIONS.get(errcode, "see WeChat's global return codes for this errcode")
    found = _IP_IN_ERRMSG.search(errmsg)
    return text.replace("{ip}", f" {found.group(1)}" if found else "")


_SECRET_PARAMS = re.compile(r"(access_token|secret)(=|\"\s*:\s*\")[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    """Return ``text`` with access_token and secret values masked."""
    return _SECRET_PARAMS.sub(r"\1\2***", text)


class WeChatError(WxbotError):
    """WeChat answered a call with an errcode; ``explanation`` says what it means."""

    def __init__(
        self, api: str, errcode: int, errmsg: str = "", data: Mapping[str, Any] | None = None
    ) -> None:
        self.api = api
        self.errcode = errcode
        self.errmsg = redact(errmsg)
        self.explanation = explain(errcode, errmsg)
        self.data = dict(data or {})
        super().__init__(f"WeChat {api}: {self.explanation} (errcode {errcode}: {self.errmsg})")


class WeChatNetworkError(WxbotError):
    """A WeChat call got no usable answer: no connection, a timeout, a dropped connection."""

    def __init__(self, api: str, detail: str) -> None:
        self.api = api
        self.detail = redact(detail)
        super().__init__(
            f"WeChat {api}: no answer ({self.detail}); the call may or may not have taken "
            "effect — re-run to resume"
        )


class MediaRejected(WxbotError):
    """A file breaks WeChat's rules for its kind of upload; caught before the call."""
