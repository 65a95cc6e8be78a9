"""Customer-service messages: ``message/custom/send``, within the window a follower opened.

https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
"当用户和应用产生特定动作的交互时……开发者可以在一段时间内（目前为48小时）调用客服接口":
a follower's message opens 48 hours for 5 messages, a menu click or a subscribe 1 minute for
3 (:data:`limits.CUSTOM_MESSAGE_RULES`). The sandbox learns of interactions when it delivers
them to the callback (:mod:`.follower_messages`). Order of checks: the body, the openid
(40003), the window (45015), the count (45047).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import limits
from .protocol import ApiError, Call, Reply, ok, require
from .state import CustomMessage, Interaction

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)


def note_interaction(account: Account, openid: str, kind: str, at: float) -> None:
    """Open a follower's window for customer-service messages (``message``, ``click``…)."""
    if kind in limits.CUSTOM_MESSAGE_RULES:
        account.state.interactions[openid] = Interaction(kind, at)


def send(account: Account, call: Call) -> Reply:
    """Send a text or news customer-service message to a follower whose window is open."""
    body = call.json()
    touser = require(body, "touser")
    msgtype = require(body, "msgtype")
    if msgtype not in limits.CUSTOM_MESSAGE_TYPES:
        raise ApiError(40008)
    content = _content(body, msgtype)
    if touser not in account.state.followers:
        raise ApiError(40003)
    now = account.now()
    opened = account.state.interactions.get(touser)
    if opened is None:
        raise ApiError(45015, "the follower has not written to the account")
    quota, window = limits.CUSTOM_MESSAGE_RULES[opened.kind]
    if now - opened.at > window:
        raise ApiError(45015, f"{opened.kind} window of {window:g}s closed")
    if opened.sent >= quota:
        raise ApiError(45047, f"{quota} messages per {opened.kind}")
    opened.sent += 1
    account.state.custom_messages.append(CustomMessage(touser, msgtype, content, now))
    logger.info("customer-service %s message to a follower", msgtype)
    return ok()


def _content(body: dict[str, Any], msgtype: str) -> dict[str, Any]:
    content = body.get(msgtype)
    if not isinstance(content, dict):
        raise ApiError(40097, f"{msgtype} is required")
    if msgtype == "text":
        require(content, "content")
    elif msgtype == "news":
        articles = content.get("articles")
        if not isinstance(articles, list) or not articles:
            raise ApiError(44003)
        if len(articles) > limits.CUSTOM_NEWS_MAX_ARTICLES:
            raise ApiError(45008, "a news message carries 1 article")
        for article in articles:
            if not isinstance(article, dict):
                raise ApiError(40097, "an article must be an object")
            require(article, "title")
            require(article, "url")
    else:
        raise ApiError(40008, "the sandbox simulates text and news only")
    return dict(content)
