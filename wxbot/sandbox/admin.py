"""``/sandbox/...``: read the state and the request log, inject faults, reset, move time.

``?appid=`` picks the account (default: the first); ``GET /sandbox/accounts`` lists them.
Reset and the clock act on every account unless ``?appid=`` names one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import datacube, follower_messages
from .account import Account
from .accounts import ACCOUNT_PARAM, current_accounts, requested_account
from .state import custom_message_view

bp = Blueprint("sandbox_admin", __name__, url_prefix="/sandbox")

_account = requested_account


def _accounts_meant() -> list[Account]:
    """Return the account ``?appid=`` names, or every account without it."""
    if request.args.get(ACCOUNT_PARAM):
        return [requested_account()]
    return list(current_accounts().values())


def _body() -> Any:
    return request.get_json(force=True, silent=True)


def _bad(message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), 400


@bp.get("/accounts")
def accounts() -> Response:
    """Answer the accounts the sandbox serves, in order: appid, original id, name, callback."""
    return jsonify({"accounts": current_accounts().listing()})


@bp.get("/state")
def state() -> Response:
    """Answer counts and records: tokens, materials, drafts, publishes, mass sends, events."""
    account = _account()
    account.tick()
    return jsonify(account.snapshot())


@bp.get("/log")
def log() -> Response:
    """Answer the request log; ``?path=draft/add`` and ``?since=<seq>`` narrow it."""
    since = request.args.get("since", default=0, type=int)
    entries = _account().log.entries(request.args.get("path"), since=since)
    return jsonify({"entries": entries})


@bp.get("/faults")
def list_faults() -> Response:
    """Answer the faults not yet used up."""
    return jsonify({"faults": _account().faults.pending()})


@bp.post("/faults")
def add_faults() -> Response | tuple[Response, int]:
    """Inject one fault (a JSON object) or several (a list); see :class:`faults.Fault`."""
    data = _body()
    items = data if isinstance(data, list) else [data]
    account = _account()
    try:
        added = [account.faults.add_from_json(item).as_dict() for item in items]
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify({"added": added, "faults": account.faults.pending()})


@bp.delete("/faults")
def clear_faults() -> Response:
    """Forget every pending fault."""
    _account().faults.clear()
    return jsonify({"faults": []})


@bp.post("/reset")
def reset() -> Response:
    """Forget every record, fault and log entry (of every account, or of ``?appid=``'s)."""
    for account in _accounts_meant():
        account.reset()
    return jsonify({"reset": True})


@bp.post("/clock")
def clock() -> Response | tuple[Response, int]:
    """Move the sandbox's time forward by ``{"advance": seconds}`` (tokens, quotas, jobs).

    Every account's time moves together unless ``?appid=`` names one.
    """
    data = _body()
    seconds = data.get("advance") if isinstance(data, dict) else None
    if not isinstance(seconds, int | float) or seconds < 0:
        return _bad("advance must be a non-negative number of seconds")
    meant = _accounts_meant()
    for each in meant:
        each.advance(float(seconds))
    account = meant[0]
    return jsonify({"now": account.snapshot()["now"], "offset": account.offset})


@bp.post("/followers")
def followers() -> Response | tuple[Response, int]:
    """Add a follower ``{"openid": ..., "tags": [100]}`` or a tag ``{"tag_id": 2, "name": ...}``."""
    data = _body()
    if not isinstance(data, dict):
        return _bad("expected a JSON object")
    account = _account()
    try:
        if "tag_id" in data:
            account.add_tag(int(data["tag_id"]), str(data.get("name", "")))
        else:
            account.add_follower(str(data["openid"]), [int(t) for t in data.get("tags", [])])
    except (KeyError, TypeError, ValueError) as exc:
        return _bad(f"bad follower or tag: {exc}")
    with account.lock:
        state = account.state
        tags = {str(k): v for k, v in state.tags.items()}
        return jsonify({"followers": len(state.followers), "tags": tags})


@bp.post("/messages")
def messages() -> Response | tuple[Response, int]:
    """Deliver a follower's message to the callback and answer with its reply.

    ``{"openid": ..., "content": "最新"}`` a text; ``{"openid": ..., "event": "CLICK",
    "event_key": "LATEST"}`` an event; ``{"msg_id": N}`` WeChat's retry of message N.
    """
    data = _body()
    if not isinstance(data, dict):
        return _bad("expected a JSON object")
    account = _account()
    try:
        if "msg_id" in data:
            sent = follower_messages.redeliver(account, int(data["msg_id"]))
        elif "event" in data:
            sent = follower_messages.send_event(
                account, str(data["openid"]), str(data["event"]), str(data.get("event_key", ""))
            )
        else:
            sent = follower_messages.send_text(account, str(data["openid"]), str(data["content"]))
    except (KeyError, TypeError, ValueError) as exc:
        return _bad(f"bad follower message: {exc}")
    return jsonify(
        {"msg_id": sent.msg_id, "tries": sent.tries, "statuses": sent.statuses, "reply": sent.reply}
    )


@bp.get("/custom-messages")
def custom_messages() -> Response:
    """Answer the customer-service messages sent, oldest first; ``?touser=`` narrows them."""
    touser = request.args.get("touser")
    account = _account()
    with account.lock:
        sent = [
            custom_message_view(m)
            for m in account.state.custom_messages
            if touser is None or m.touser == touser
        ]
    return jsonify({"messages": sent})


@bp.post("/history")
def history() -> Response | tuple[Response, int]:
    """Seed past sends for the data cube: ``{"followers": 1200, "sends": [{"date", "titles"}]}``."""
    data = _body()
    if not isinstance(data, dict) or not isinstance(data.get("sends", []), list):
        return _bad('expected {"followers": n, "sends": [{"date": ..., "titles": [...]}]}')
    account = _account()
    try:
        followers = int(data.get("followers", len(account.state.followers)))
        made = datacube.seed_history(account, followers, data.get("sends", []))
    except (KeyError, TypeError, ValueError) as exc:
        return _bad(f"bad history: {exc}")
    return jsonify({"msg_data_ids": made, "followers": len(account.state.followers)})
