"""The ``/wechat`` endpoint WeChat calls, served as plain WSGI in front of Flask.

WeChat calls it for every follower message, so it skips Flask's per-request machinery
(request context, session, routing, response objects), which measured as much as the whole
answer costs (``bench/callback.py``). It stays a thin edge: read the request, let the
callback answer, reply. Every other path goes on to Flask.

``/wechat`` is the default account's (``[wechat]``), ``/wechat/<name>`` each
``[accounts.<name>]``'s; any other name is 404 before anything is read. An account's callback
is made on its first request, in the worker (after gunicorn's fork), and kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask

from ..runtime import get_runtime
from ..wechat.messages import BodyTooLarge, CallbackRejected
from .service import FollowerCallback

logger = logging.getLogger(__name__)

#: Where WeChat's server configuration points (the default account's; ``/wechat/<name>``).
PATH = "/wechat"
ACCOUNT_PREFIX = PATH + "/"
#: Key of the callback in ``app.extensions``.
EXTENSION = "wxbot.callback"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def init_app(app: Flask) -> None:
    """Serve ``/wechat`` and ``/wechat/<name>``; get the callback ready (search index, jieba)."""
    callback = FollowerCallback(get_runtime(app))
    callback.start()
    app.extensions[EXTENSION] = callback
    app.wsgi_app = CallbackEndpoint(app.wsgi_app, callback)  # type: ignore[method-assign]


class CallbackEndpoint:
    """Answer ``/wechat[/<name>]`` (GET handshake, POST messages); hand other paths to Flask."""

    def __init__(self, app: WsgiApp, callback: FollowerCallback) -> None:
        self.app = app
        self.callback = callback
        every = callback.runtime.all_settings or callback.runtime.settings
        #: The accounts answered at ``/wechat/<name>``; each callback made on first use.
        self.names = frozenset(every.account_names())
        self._accounts: dict[str, FollowerCallback] = {callback.account: callback}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request."""
        path = environ.get("PATH_INFO")
        if path == PATH:
            callback = self.callback
        elif isinstance(path, str) and path.startswith(ACCOUNT_PREFIX):
            name = path[len(ACCOUNT_PREFIX) :]
            if name not in self.names:
                return _answer(start_response, "404 Not Found", "no such account", "text/plain")
            callback = self._callback_of(name)
        else:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "")
        try:
            args = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            if method == "POST":
                callback.admit(args)  # signed and fresh, or refused before its body is read
                reply = callback.receive(args, self._body(environ, callback))
                kind = "text/plain" if reply == "success" else "application/xml"
                return _answer(start_response, "200 OK", reply, kind)
            if method == "GET":
                echo = callback.handshake(args)
                return _answer(start_response, "200 OK", echo, "text/plain")
            return _answer(start_response, "405 Method Not Allowed", "GET or POST", "text/plain")
        except CallbackRejected as exc:
            logger.warning(
                "callback: refused %s to %s from %s: %s",
                method,
                callback.account,
                environ.get("REMOTE_ADDR"),
                exc,
            )
            status = f"{exc.status} {_REASONS.get(exc.status, 'Refused')}"
            return _answer(start_response, status, exc.reason, "text/plain")
        except Exception:  # answer 500 and go on serving; WeChat will retry
            logger.exception("callback: failed to answer a %s to %s", method, callback.account)
            return _answer(start_response, "500 Internal Server Error", "", "text/plain")

    def _callback_of(self, name: str) -> FollowerCallback:
        """Return the callback of account ``name``, made on its first request and kept."""
        callback = self._accounts.get(name)
        if callback is None:
            with self._lock:
                callback = self._accounts.get(name)
                if callback is None:
                    callback = self._accounts[name] = self.callback.for_account(name)
        return callback

    def _body(self, environ: dict[str, Any], callback: FollowerCallback) -> bytes:
        limit = callback.max_body_bytes
        length = environ.get("CONTENT_LENGTH")
        if not length:  # WeChat always sends one; a stream of unknown length is not read
            raise LengthRequired("Content-Length required")
        try:
            size = int(length)
        except ValueError:
            raise CallbackRejected("bad Content-Length") from None
        if size > limit:  # refused unread
            raise BodyTooLarge(f"body of {size} bytes")
        try:
            body = bytes(environ["wsgi.input"].read(size))
        except OSError as exc:  # the server's read timeout: a client too slow to send it
            raise BodyTimeout(f"body not received in time: {exc}") from None
        if len(body) < size:
            raise CallbackRejected(f"body of {len(body)} bytes, Content-Length {size}")
        return body


class LengthRequired(CallbackRejected):
    """A POST without Content-Length."""

    status = 411


class BodyTimeout(CallbackRejected):
    """A body that did not arrive within the server's read timeout."""

    status = 408


_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
}


def _answer(start_response: StartResponse, status: str, text: str, kind: str) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(
        status,
        [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
