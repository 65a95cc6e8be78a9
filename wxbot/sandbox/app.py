"""The sandbox's Flask app: ``/cgi-bin/...`` over HTTP, with faults and the request log.

One app serves one or more accounts (:class:`.accounts.Accounts`): each call is answered by
the account it names, with that account's faults, and recorded in that account's log.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from flask import Flask, Response, request

from . import admin, chat, pages
from .account import Account, Clock
from .accounts import Accounts
from .api import dispatch
from .faults import Fault, normalize_path
from .protocol import ApiError, Call, Reply, Upload
from .requestlog import summarize
from .settings import SandboxSettings, with_overrides

#: Room for a 10 MB image material plus multipart overhead (and over-limit test uploads).
MAX_REQUEST_BYTES = 32 * 1024 * 1024


class DroppedConnection(Exception):
    """A drop fault fired where there is no socket to close (e.g. Flask's test client)."""


def create_sandbox_app(
    account: Account | Accounts | None = None,
    *,
    clock: Clock | None = None,
    settings: SandboxSettings | None = None,
    **overrides: Any,
) -> Flask:
    """Create the sandbox app serving ``account`` (or accounts, or one from settings)."""
    if account is None:
        settings = with_overrides(settings or SandboxSettings(), **overrides)
        account = Account(settings, clock=clock)
    accounts = account if isinstance(account, Accounts) else Accounts([account])
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.extensions["wxbot_sandbox"] = accounts
    app.register_blueprint(admin.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(chat.bp)
    cgi_bin = _cgi_bin(accounts)
    app.add_url_rule("/cgi-bin/<path:name>", "cgi_bin", cgi_bin, methods=["GET", "POST"])
    # 数据统计 lives at https://api.weixin.qq.com/datacube/<name>, outside /cgi-bin.
    app.add_url_rule(
        "/datacube/<name>", "datacube", lambda name: cgi_bin(f"datacube/{name}"), methods=["POST"]
    )
    return app


def _cgi_bin(accounts: Accounts) -> Any:
    def view(name: str) -> Response:
        """Answer one WeChat API call as the account it names, honouring that account's faults."""
        if not accounts.first.base_url:
            accounts.set_base_url(request.host_url.rstrip("/"))
        call = _call_from_request(normalize_path(name))
        account = accounts.for_call(call)
        call.base_url = account.public_base()
        before = account.faults.take(call.name, "before")
        if before is not None and (instead := _apply(account, call, before)) is not None:
            return instead
        reply = dispatch(account, call)
        after = account.faults.take(call.name, "after")
        if after is not None and (instead := _apply(account, call, after)) is not None:
            return instead
        delays = "; ".join(f.describe() for f in (before, after) if f is not None)
        _record(account, call, reply.errcode, fault=delays)
        return _respond(reply)

    return view


def _apply(account: Account, call: Call, fault: Fault) -> Response | None:
    """Wait out a fault's delay; return what to answer instead (a drop, an errcode), if any."""
    if fault.delay:
        time.sleep(fault.delay)
    if fault.drop:
        _record(account, call, None, fault=fault.describe())
        return _drop_connection()
    if fault.errcode is None:
        return None
    body = ApiError(fault.errcode).body()
    if fault.errmsg:
        body["errmsg"] = fault.errmsg
    _record(account, call, fault.errcode, fault=fault.describe())
    return _respond(Reply(body))


def _respond(reply: Reply) -> Response:
    return Response(reply.encode(), content_type=reply.content_type)


def _drop_connection() -> Response:
    """Close the client's socket without an answer; the client sees the connection drop."""
    sock = request.environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket):
        raise DroppedConnection("drop faults need the sandbox's own HTTP server")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    # Werkzeug's write to the dead socket fails and is treated as a dropped connection.
    return Response(b"", status=200)


def _call_from_request(name: str) -> Call:
    files = {
        field: Upload(f.filename or "", f.mimetype or "", f.read())
        for field, f in request.files.items()
    }
    body = b"" if files else request.get_data()
    return Call(
        name=name,
        method=request.method,
        query=request.args.to_dict(),
        body=body,
        files=files,
        content_type=request.content_type or "",
    )


def _record(account: Account, call: Call, errcode: int | None, fault: str = "") -> None:
    account.log.record(
        at=account.now(),
        method=call.method,
        path=f"/{call.name}" if call.name.startswith("datacube/") else f"/cgi-bin/{call.name}",
        query=call.query,
        summary=summarize(call.body, call.files),
        errcode=errcode,
        fault=fault,
        content_type=call.content_type,
    )
