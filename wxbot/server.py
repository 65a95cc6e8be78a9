"""Run the web service under gunicorn, as the Procfile does, from inside the ``wxbot`` command.

The bundled settings hold against slow clients without a reverse proxy in front: a request's
headers and body are gathered without holding a thread (the poller waits for each next piece,
``keepalive`` seconds at most, :data:`READ_SECONDS` for all), as a buffering proxy would; and
the access log leaves out what would let a reader replay a signed callback URL.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.workers import gthread

logger = logging.getLogger(__name__)

#: Seconds a request's headers may take from their first byte, and its body after them.
READ_SECONDS = 5.0
#: Seconds a response may take to be written to the client.
WRITE_SECONDS = 10.0
#: Header bytes gathered before the request goes to a thread regardless (gunicorn refuses more).
HEADER_MAX_BYTES = 64 * 1024
#: Body bytes gathered before the request goes to a thread (a larger body is the app's to refuse).
BODY_MAX_BYTES = 1024 * 1024
#: Seconds an unread body (of a refused request) is drained before the connection closes.
DRAIN_SECONDS = 0.2
#: Query parameters that sign a callback URL: never written to the access log.
SECRET_PARAMS = frozenset({"signature", "msg_signature", "nonce"})

#: gunicorn settings of ``wxbot serve`` (workers, threads and bind are added per run).
SETTINGS: dict[str, Any] = {
    "worker_class": "wxbot.server.CallbackWorker",
    "logger_class": "wxbot.server.AccessLog",
    "timeout": 60,
    "keepalive": 5,  # seconds an idle or trickling connection waits for its next bytes
    "accesslog": "-",
    "preload_app": False,  # the app is built in each worker, never before the fork
}


class SlowClient(ConnectionResetError):
    """A client that did not send its request in time (gunicorn drops it quietly)."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.ECONNRESET, f"{what} not received within {READ_SECONDS:g} s")


class TimedSocket:
    """A client socket whose reads are bounded by one deadline per request.

    Header bytes gathered by :meth:`gather_request` are handed out first; every later read
    waits no longer than what is left of the deadline.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._gathered = bytearray()
        self.first_byte_at: float | None = None
        self.deadline = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def gather_request(self) -> bool | None:
        """Take what has arrived without waiting; return whether the request is complete.

        Complete: its headers, and its body up to :data:`BODY_MAX_BYTES` when it declares a
        length. None: the client closed the connection or took too long.
        """
        while len(self._gathered) < HEADER_MAX_BYTES + BODY_MAX_BYTES:
            try:
                data = self._sock.recv(HEADER_MAX_BYTES, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return None
            if not data:
                return None
            if self.first_byte_at is None:
                self.first_byte_at = time.monotonic()
            self._gathered += data
        if _complete(self._gathered):
            self.first_byte_at = None
            self.deadline = time.monotonic() + READ_SECONDS
            return True
        if self.first_byte_at is not None and time.monotonic() - self.first_byte_at > READ_SECONDS:
            return None
        return False

    def recv(self, size: int, flags: int = 0) -> bytes:
        """Return gathered bytes first, then read before the deadline."""
        if self._gathered:
            data = bytes(self._gathered[:size])
            del self._gathered[:size]
            return data
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise SlowClient("request")
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size, flags)
        except TimeoutError:
            raise SlowClient("request") from None

    def sendall(self, data: bytes, flags: int = 0) -> None:
        """Write a response, giving up on a client that does not read it."""
        self._sock.settimeout(WRITE_SECONDS)
        self._sock.sendall(data, flags)


class CallbackWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker, with no thread waiting on a slow client.

    A connection goes to a thread only once its request is in; until then it waits in the
    poller (``keepalive`` seconds at most for each next piece, :data:`READ_SECONDS` for all).
    """

    def enqueue_req(self, conn: Any) -> None:
        """Give a connection to the thread pool, its socket timed."""
        if not self.cfg.is_ssl and not isinstance(conn.sock, TimedSocket):
            conn.sock = TimedSocket(conn.sock)
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        """Serve a request once it is in; until then hand the connection back to the poller."""
        sock = conn.sock
        if isinstance(sock, TimedSocket) and not _read_ahead(conn):
            complete = sock.gather_request()
            if complete is None:
                return False
            if not complete:
                conn.data_ready = False
                return gthread._DEFER  # back to the poller, no thread held
            conn.data_ready = True
        return super().handle(conn)

    def _keepalive_after(self, conn: Any, keepalive: bool) -> bool:
        # A refused request's body is not read: drain only what has already arrived.
        if not keepalive:
            return False
        return bool(conn.parser.finish_body(deadline=time.monotonic() + DRAIN_SECONDS))


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*\r\n", re.IGNORECASE)


def _complete(gathered: bytearray) -> bool:
    end = gathered.find(b"\r\n\r\n")
    if end < 0:
        return len(gathered) >= HEADER_MAX_BYTES
    length = _CONTENT_LENGTH.search(gathered, 0, end + 2)
    wanted = min(int(length.group(1)), BODY_MAX_BYTES) if length else 0
    return len(gathered) - (end + 4) >= wanted


def _read_ahead(conn: Any) -> bool:
    parser = getattr(conn, "parser", None)
    return parser is not None and bool(parser.unreader.buf.getvalue())


class AccessLog(Logger):
    """gunicorn's logger, writing callback URLs without their signature and nonce."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        """Return the access log's fields, the signing parameters left out of the URL."""
        query = environ.get("QUERY_STRING", "")
        if any(name in query for name in SECRET_PARAMS):
            shown = without_secrets(query)
            path = environ.get("PATH_INFO", "")
            environ = environ | {
                "QUERY_STRING": shown,
                "RAW_URI": f"{path}?{shown}" if shown else path,
            }
        return super().atoms(resp, req, environ, request_time)


def without_secrets(query: str) -> str:
    """Return a query string without the parameters that sign a callback URL."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in SECRET_PARAMS]
    return urlencode(kept)


class _Embedded(BaseApplication):
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.factory()


def run_server(
    factory: Callable[[], Flask],
    host: str,
    port: int,
    *,
    workers: int = 1,
    threads: int = 8,
    on_worker_start: Callable[[Flask], None] | None = None,
) -> None:
    """Serve the app made by ``factory`` until interrupted.

    Each worker process calls ``factory`` after the fork (no ``preload_app``), so its app,
    threads and database connections are its own; ``on_worker_start`` runs in each worker
    once its app exists (e.g. a scheduler loop). Nothing is built in the master.
    """

    def post_worker_init(worker: Any) -> None:
        if on_worker_start is not None:
            on_worker_start(worker.wsgi)

    options = SETTINGS | {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "post_worker_init": post_worker_init,
    }
    logger.info("serving on http://%s:%s with %d worker(s)", host, port, workers)
    _Embedded(factory, options).run()
