"""The ``/wechat`` endpoint WeChat calls: read the request, let the callback answer, reply."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request

from ..wechat.messages import BodyTooLarge, CallbackRejected
from .service import FollowerCallback

logger = logging.getLogger(__name__)

bp = Blueprint("callback", __name__)

EXTENSION = "wxbot.callback"


def init_app(app: Flask) -> None:
    """Register ``/wechat`` and get the callback ready (search index, jieba)."""
    callback = FollowerCallback(app.extensions["wxbot"])
    callback.start()
    app.extensions[EXTENSION] = callback
    app.register_blueprint(bp)


def _callback() -> FollowerCallback:
    callback: FollowerCallback = current_app.extensions[EXTENSION]
    return callback


def _refuse(exc: CallbackRejected) -> Response:
    logger.warning("callback: refused %s from %s: %s", request.method, request.remote_addr, exc)
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.get("/wechat")
def handshake() -> Response:
    """Answer WeChat's server-configuration handshake with its echostr."""
    try:
        return Response(_callback().handshake(request.args), mimetype="text/plain")
    except CallbackRejected as exc:
        return _refuse(exc)


@bp.post("/wechat")
def receive() -> Response:
    """Answer a follower's message or an event."""
    callback = _callback()
    try:
        length = request.content_length
        if length is not None and length > callback.max_body_bytes:
            raise BodyTooLarge(f"body of {length} bytes")
        body = request.stream.read(callback.max_body_bytes + 1)
        reply = callback.receive(request.args, body)
    except CallbackRejected as exc:
        return _refuse(exc)
    mimetype = "text/plain" if reply == "success" else "application/xml"
    return Response(reply, mimetype=mimetype)
