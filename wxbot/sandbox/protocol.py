"""What one API call carries in and out: errcode errors, the call, the reply."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .limits import ERRMSG

#: WeChat's own Content-Type for JSON answers (``encoding``, not ``charset``).
JSON_CONTENT_TYPE = "application/json; encoding=utf-8"
TEXT_CONTENT_TYPE = "text/plain"


class ApiError(Exception):
    """An errcode answer; ``extra`` fields ride along (45065 carries the first msg_id)."""

    def __init__(self, errcode: int, detail: str = "", **extra: Any) -> None:
        self.errcode = errcode
        base = ERRMSG.get(errcode, "error")
        self.errmsg = f"{base} hint: [{detail}]" if detail else base
        self.extra = extra
        super().__init__(f"{errcode} {self.errmsg}")

    def body(self) -> dict[str, Any]:
        """Return the JSON body WeChat would answer with."""
        return {"errcode": self.errcode, "errmsg": self.errmsg, **self.extra}


@dataclass(frozen=True)
class Upload:
    """One multipart file as received."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request to ``/cgi-bin/<name>``, stripped of HTTP."""

    name: str
    method: str
    query: Mapping[str, str]
    body: bytes = b""
    files: Mapping[str, Upload] = field(default_factory=dict)
    base_url: str = ""
    content_type: str = ""

    def json(self, *, literal_unicode_escapes: bool = False) -> dict[str, Any]:
        """Return the JSON body as a dict, whatever the Content-Type, as WeChat reads it.

        ``literal_unicode_escapes`` keeps ``\\uXXXX`` as six characters: the draft docs warn
        that WeChat does not decode them ("注意不要使用Unicode转义格式").
        :raises ApiError: 44002 for an empty body, 47001 for one that is not a JSON object.
        """
        if not self.body.strip():
            raise ApiError(44002)
        try:
            text = self.body.decode("utf-8")
            if literal_unicode_escapes:
                text = _UNICODE_ESCAPE.sub(_keep_escape, text)
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(47001, str(exc)) from None
        if not isinstance(data, dict):
            raise ApiError(47001, "body is not a JSON object")
        return data


# Pairs are consumed left to right, so an escaped backslash is never mistaken for \u.
_UNICODE_ESCAPE = re.compile(r"\\(\\|u)")


def _keep_escape(match: re.Match[str]) -> str:
    return r"\\" if match.group(1) == "\\" else r"\\u"


@dataclass
class Reply:
    """An answer: a JSON object, sent as WeChat sends it."""

    body: dict[str, Any]
    content_type: str = JSON_CONTENT_TYPE

    @property
    def errcode(self) -> int:
        """Return the errcode, 0 when the answer carries none."""
        return int(self.body.get("errcode", 0))

    def encode(self) -> bytes:
        """Return the body as UTF-8 JSON without ASCII escapes, like WeChat."""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def ok(**fields: Any) -> Reply:
    """Return the plain ``{"errcode": 0, "errmsg": "ok", ...}`` answer."""
    return Reply({"errcode": 0, "errmsg": "ok", **fields})


def require_json_content_type(call: Call) -> None:
    """Refuse a body not declared as JSON: the docs say "POST JSON", nothing else.

    https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
    No errcode is documented for it; the sandbox answers 47001 (data format error), the
    closest honest one.
    """
    if call.content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(47001, "POST JSON: Content-Type must be application/json")


def require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...] = str) -> Any:
    """Return ``data[key]`` or raise 40097 when it is missing or of the wrong type."""
    value = data.get(key)
    if value is None or value == "" or not isinstance(value, kind):
        raise ApiError(40097, f"{key} is required")
    return value
