"""Customer-service messages: a text or a one-article news card sent to one follower.

https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
Allowed within 48 hours of the follower's last message (5 messages), or 1 minute of a menu
click or a subscribe (3); after that WeChat answers 45015, over the count 45047. A send is
never repeated by the client: WeChat has no idempotency key for it, so a repeat after a lost
answer could be a second message on the follower's phone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client import WeChatApi

API = "message/custom/send"


def send_text(api: WeChatApi, openid: str, content: str) -> None:
    """Send a text message (it may hold ``<a href>`` links) to one follower.

    :raises WeChatError: 45015 (window closed), 45047 (over the count), 40003 (not a
        follower), 48001 (no customer-service right)…
    :raises WeChatNetworkError: when no answer came (it may or may not have arrived).
    """
    send(api, openid, "text", {"content": content})


def send_news(
    api: WeChatApi, openid: str, *, title: str, description: str, url: str, picurl: str
) -> None:
    """Send a news card of one article (tapping it opens ``url``) to one follower.

    :raises WeChatError: as :func:`send_text`.
    :raises WeChatNetworkError: as :func:`send_text`.
    """
    article = {"title": title, "description": description, "url": url, "picurl": picurl}
    send(api, openid, "news", {"articles": [article]})


def send(api: WeChatApi, openid: str, msgtype: str, body: Mapping[str, Any]) -> None:
    """Send a message of ``msgtype`` (``text``, ``news``…) whose object is ``body``."""
    if not openid:
        raise ValueError("a customer-service message needs the follower's openid")
    payload = {"touser": openid, "msgtype": msgtype, msgtype: dict(body)}
    api.post(API, payload, idempotent=False)
