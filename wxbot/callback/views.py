"""The ``/wechat`` endpoint WeChat calls, served as plain WSGI in front of Flask.

WeChat calls it for every follower message, so it skips Flask's per-request machinery
(request context, session, routing, response objects), which measured as much as the whole
answer costs (``bench/callback.py``). It stays a thin edge: read the request, let the
callback answer, reply. Every other path goes on to Flask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask

from ..runtime import get_runtime
from ..wechat.messages import BodyTooLarge, CallbackRejected
from .service import FollowerCallback

logger = logging.getLogger(__name__)

#: Where WeChat's server configuration points.
PATH = "/wechat"
#: Key of the callback in ``app.extensions``.
EXTENSION = "wxbot.callback"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def init_app(app: Flask) -> None:
    """Serve ``/wechat`` and get the callback ready (search index, jieba)."""
    callback = FollowerCallback(get_runtime(app))
    callback.start()
    app.extensions[EXTENSION] = callback
    app.wsgi_app = CallbackEndpoint(app.wsgi_app, callback)  # type: ignore[method-assign]


class CallbackEndpoint:
    """Answer ``/wechat`` (GET handshake, POST messages); hand every other path to Flask."""

    def __init__(self, app: WsgiApp, callback: FollowerCallback) -> None:
        self.app = app
        self.callback = callback

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request."""
        if environ.get("PATH_INFO") != PATH:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "")
        try:
            args = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            if method == "POST":
                self.callback.admit(args)  # signed and fresh, or refused before its body is read
                reply = self.callback.receive(args, self._body(environ))
                kind = "text/plain" if reply == "success" else "application/xml"
                return _answer(start_response, "200 OK", reply, kind)
            if method == "GET":
                echo = self.callback.handshake(args)
                return _answer(start_response, "200 OK", echo, "text/plain")
            return _answer(start_response, "405 Method Not Allowed", "GET or POST", "text/plain")
        except CallbackRejected as exc:
            logger.warning(
                "callback: refused %s from %s: %s", method, environ.get("REMOTE_ADDR"), exc
            )
            status = f"{exc.status} {_REASONS.get(exc.status, 'Refused')}"
            return _answer(start_response, status, exc.reason, "text/plain")
        except Exception:  # answer 500 and go on serving; WeChat will retry
            logger.exception("callback: failed to answer a %s", method)
            return _answer(start_response, "500 Internal Server Error", "", "text/plain")

    def _body(self, environ: dict[str, Any]) -> bytes:
        limit = self.callback.max_body_bytes
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
