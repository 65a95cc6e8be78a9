"""``/sandbox/chat``: a WeChat-like chat page for trying the account as one of its followers.

The page (a static file with a little JavaScript, under ``templates/sandbox/``) asks for the
followers and the menu, and sends what the follower types or taps through
:func:`.conversation.send`. The menu is the account's own, as get_current_selfmenu_info
answers it:
https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Querying_Custom_Menus.html
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from ..resources import templates_dir
from .account import Account, follower_openid
from .accounts import current_accounts, requested_account
from .api import ENDPOINTS
from .conversation import ChatError, late_bubble, send
from .protocol import Call

#: Where the page is served.
CHAT_PATH = "/sandbox/chat"

bp = Blueprint("sandbox_chat", __name__, url_prefix=CHAT_PATH)

#: The endpoint the page's menu comes from.
SELFMENU = "get_current_selfmenu_info"

#: The page runs its own script and styles only; pictures come from wherever a card points.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: http: https:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

#: The page's files and their types.
FILES = {
    "chat.html": "text/html; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}


_account = requested_account


@bp.get("")
def page() -> Response:
    """Serve the chat page."""
    return _file("chat.html")


@bp.get("/<name>")
def page_file(name: str) -> Response:
    """Serve the page's script or styles."""
    if name not in FILES or name == "chat.html":
        abort(404)
    return _file(name)


@bp.get("/session")
def session() -> Response:
    """Answer who may chat (the followers and one newcomer), the menu, where messages go.

    Also every account the sandbox serves, so the page can switch (``?appid=``).
    """
    account = _account()
    others = [
        {"appid": appid, "account_name": each.settings.account_name}
        for appid, each in current_accounts().items()
    ]
    return jsonify(
        {
            "account": account.settings.account_name,
            "appid": account.settings.appid,
            "accounts": others,
            "mode": account.settings.mode,
            "callback_url": account.settings.callback_url,
            "followers": chat_followers(account),
            "menu": menu_buttons(current_menu(account)),
        }
    )


@bp.post("/send")
def send_message() -> Response | tuple[Response, int]:
    """Send ``{"openid", "kind", "value"}`` to the callback; answer the exchange and its replies."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("openid"), str):
        return jsonify({"error": "expected a JSON object with openid, kind and value"}), 400
    try:
        exchange = send(
            _account(), data["openid"], str(data.get("kind", "")), str(data.get("value", ""))
        )
    except ChatError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify(exchange.as_dict())


@bp.get("/inbox")
def inbox() -> Response:
    """Answer the customer-service messages to ``?openid=`` from number ``?since=`` on.

    Late answers arrive this way: the callback said ``success`` and sent the answer later.
    """
    openid = request.args.get("openid", "")
    since = max(0, request.args.get("since", default=0, type=int))
    account = _account()
    with account.lock:
        sent = [m for m in account.state.custom_messages if m.touser == openid]
    return jsonify({"messages": [late_bubble(m) for m in sent[since:]], "next": len(sent)})


def chat_followers(account: Account) -> list[dict[str, Any]]:
    """Return the followers, then one newcomer who does not follow yet (to try subscribing)."""
    with account.lock:
        following = sorted(account.state.followers)
    number = len(following) + 1
    while follower_openid(number) in following:
        number += 1
    people = [{"openid": openid, "following": True} for openid in following]
    return [*people, {"openid": follower_openid(number), "following": False}]


def current_menu(account: Account) -> dict[str, Any]:
    """Return get_current_selfmenu_info's answer, as the account's API gives it.

    The platform itself shows followers the menu, so no access_token is asked for.
    """
    endpoint = ENDPOINTS.get(SELFMENU)
    if endpoint is None:
        return {"is_menu_open": 0}
    call = Call(name=SELFMENU, method=endpoint.method, query={}, base_url=account.public_base())
    with account.lock:
        return endpoint.handler(account, call).body


def menu_buttons(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the menu a follower sees from get_current_selfmenu_info's answer; none if closed.

    A button has ``name`` and ``type`` (``click`` with ``key``, ``view`` with ``url``, or
    another type the page shows but does not simulate), or ``sub`` buttons.
    """
    if not info.get("is_menu_open"):
        return []
    buttons = (info.get("selfmenu_info") or {}).get("button") or []
    return [_button(b) for b in buttons if isinstance(b, dict)]


def _button(button: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"name": str(button.get("name", ""))}
    sub = button.get("sub_button")
    if isinstance(sub, dict):  # get_current_selfmenu_info nests them in {"list": [...]}
        sub = sub.get("list")
    if isinstance(sub, list) and sub:
        shown["sub"] = [_button(b) for b in sub if isinstance(b, dict)]
        return shown
    shown["type"] = str(button.get("type", ""))
    if shown["type"] == "click":
        shown["key"] = str(button.get("key", ""))
    elif shown["type"] == "view":
        shown["url"] = str(button.get("url", ""))
    return shown


def _file(name: str) -> Response:
    path = templates_dir() / "sandbox" / name
    response = Response(path.read_bytes(), content_type=FILES[name])
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if name == "chat.html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
