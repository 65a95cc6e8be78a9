"""Helpers for tests that talk to the sandbox over HTTP: a bare API caller, a callback receiver.

Deliberately not wxbot's WeChat client: tests of the sandbox must not depend on the code the
sandbox is there to check.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from PIL import Image, PngImagePlugin
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .settings import SANDBOX_APPID, SANDBOX_SECRET, SandboxSettings


def image_bytes(
    image_format: str = "JPEG", size: tuple[int, int] = (64, 64), *, noise: bool = False
) -> bytes:
    """Return an encoded image; ``noise`` makes it incompressible, to reach a size limit."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (31, 78, 157))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def image_of_exactly(image_format: str, size: int) -> bytes:
    """Return a real JPEG or PNG of exactly ``size`` bytes, padded with a comment or text chunk."""
    image = Image.new("RGB", (64, 64), (31, 78, 157))

    def encode(padding: int) -> bytes:
        buffer = io.BytesIO()
        if image_format == "JPEG":  # a COM segment holds up to 65,533 bytes
            image.save(buffer, "JPEG", comment=b"x" * padding)
        else:
            info = PngImagePlugin.PngInfo()
            info.add_text("Comment", "x" * padding)
            image.save(buffer, "PNG", pnginfo=info)
        return buffer.getvalue()

    data = encode(1)
    data = encode(1 + size - len(data))
    if len(data) != size:
        raise ValueError(f"cannot make a {image_format} of exactly {size} bytes")
    return data


class SandboxApi:
    """Call ``/cgi-bin`` endpoints as one account, fetching a token on first need.

    ``admin`` reaches the same account's ``/sandbox/...`` (state, faults, log) by its appid.
    """

    def __init__(
        self, base_url: str, appid: str = SANDBOX_APPID, secret: str = SANDBOX_SECRET
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid, self.secret = appid, secret
        self._token = ""
        self._thumb = ""

    @classmethod
    def of(cls, base_url: str, settings: SandboxSettings) -> SandboxApi:
        """Return a caller acting as the account ``settings`` describe."""
        return cls(base_url, settings.appid, settings.secret.get_secret_value())

    def admin(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        """Call ``/sandbox/<path>`` for this account and return its JSON answer."""
        response = requests.request(
            method,
            f"{self.base_url}/sandbox/{path}",
            params={"appid": self.appid} | params,
            json=body,
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """Return this account's ``GET /sandbox/state``."""
        result: dict[str, Any] = self.admin("GET", "state")
        return result

    @property
    def token(self) -> str:
        """Return an access_token from /cgi-bin/token, fetched once."""
        if not self._token:
            self._token = self.fetch_token()["access_token"]
        return self._token

    def renew_token(self) -> str:
        """Fetch a fresh access_token for later calls (after moving the sandbox's time)."""
        self._token = ""
        return self.token

    def fetch_token(self, **params: str) -> dict[str, Any]:
        """Call /cgi-bin/token with the credentials (``params`` override them)."""
        query = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        response = requests.get(f"{self.base_url}/cgi-bin/token", params=query | params, timeout=10)
        result: dict[str, Any] = response.json()
        return result

    def request(
        self,
        name: str,
        body: Any = None,
        *,
        method: str = "POST",
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
        timeout: float = 10,
    ) -> requests.Response:
        """Send one call; JSON bodies go out as raw UTF-8, as WeChat expects."""
        query = dict(params or {})
        if token is None:
            token = self.token
        if token:
            query["access_token"] = token
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"} if data is not None else {}
        return requests.request(
            method,
            f"{self.base_url}/cgi-bin/{name}",
            params=query,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
        )

    def post(self, name: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Send one call and return its JSON answer."""
        result: dict[str, Any] = self.request(name, body, **kwargs).json()
        return result

    def thumb(self) -> str:
        """Return the media_id of a small JPEG thumb material, uploaded once."""
        if not self._thumb:
            answer = self.upload("material/add_material", image_bytes(), type="thumb")
            self._thumb = answer["media_id"]
        return self._thumb

    def article(self, **fields: Any) -> dict[str, Any]:
        """Return a valid article; ``fields`` replace the defaults."""
        return {"title": "标题", "content": "<p>正文</p>", "thumb_media_id": self.thumb()} | fields

    def draft(self, *articles: Mapping[str, Any]) -> str:
        """Create a draft (one default article if none given) and return its media_id."""
        answer = self.post("draft/add", {"articles": list(articles) or [self.article()]})
        if "media_id" not in answer:
            raise AssertionError(f"draft/add failed: {answer}")
        return str(answer["media_id"])

    def upload(
        self, name: str, data: bytes, filename: str = "image.jpg", **params: str
    ) -> dict[str, Any]:
        """Upload ``data`` as the multipart field ``media``."""
        return self.post(
            name, files={"media": (filename, data, "application/octet-stream")}, params=params
        )


@dataclass(frozen=True)
class ReceivedPost:
    """One request the sink received."""

    path: str
    query: dict[str, str]
    body: bytes
    content_type: str


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


class EventSink:
    """A local HTTP endpoint standing in for wxbot's callback: records POSTs, answers success."""

    def __init__(self) -> None:
        self.received: list[ReceivedPost] = []
        self._failures: list[int] = []
        self._cond = threading.Condition()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}/wechat"

    def start(self) -> EventSink:
        """Start answering; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering."""
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with HTTP ``status`` instead of ``success``."""
        with self._cond:
            self._failures.extend([status] * count)

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedPost]:
        """Return the received posts once there are ``count``, or what came before ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.received)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        post = ReceivedPost(
            request.path, request.args.to_dict(), request.get_data(), request.content_type or ""
        )
        with self._cond:
            self.received.append(post)
            status = self._failures.pop(0) if self._failures else 200
            self._cond.notify_all()
        body = "success" if status == 200 else "error"
        return Response(body, status=status)(environ, start_response)

    def __enter__(self) -> EventSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
