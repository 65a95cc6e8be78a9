"""One account's WeChat API: wechatpy underneath, the shared token, retries, wxbot's errors.

https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Getting_Started_Guide.html
wechatpy sends the calls; this wrapper points it at ``[wechat] api_base_url``, gives it the
token from :class:`TokenStore`, and decides what is retried: a refused token is refreshed once
and the call retried once; -1 and network errors are retried with backoff for calls that are
safe to repeat, and for calls that create something (:meth:`WeChatApi.create`) only after
looking for what the failed call may have made.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from ..config import WechatSection
from ..errors import ConfigError
from ..runtime import Runtime
from .errors import SYSTEM_BUSY, TOKEN_ERRCODES, WeChatError, WeChatNetworkError, redact
from .token_store import FetchedToken, TokenStore

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Every JSON body goes out declared as JSON: the stable_token page says "POST JSON", and
#: wechatpy sends its encoded bodies with no Content-Type at all.
#: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
JSON_HEADERS = {"Content-Type": "application/json"}

#: A call: given the wechatpy client, return WeChat's decoded answer.
Request = Callable[[WeChatClient], T]


class _RedactingFilter(logging.Filter):
    """Mask access_token values in what urllib3 logs (request lines at DEBUG level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record with secrets masked; keep it."""
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def _mask_library_logs() -> None:
    """Make sure the HTTP library's debug logs never show a token (idempotent)."""
    for name in ("urllib3.connectionpool", "requests"):
        library_logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in library_logger.filters):
            library_logger.addFilter(_RedactingFilter())


class _WechatpyClient(WeChatClient):
    """wechatpy's client, told where the API is and where its token comes from."""

    def __init__(self, appid: str, api_base_url: str, timeout: float, tokens: TokenStore) -> None:
        super().__init__(appid, "", timeout=timeout, auto_retry=False)
        self.API_BASE_URL = f"{api_base_url}/cgi-bin/"
        self._tokens = tokens
        self.last_token = ""

    @property
    def access_token(self) -> str:
        """Return the shared token, remembering it in case WeChat refuses it."""
        tokens = self.__dict__.get("_tokens")
        if tokens is None:  # wechatpy's __new__ looks at every attribute before __init__
            raise AttributeError("access_token")
        self.last_token = tokens.get()
        return self.last_token

    def fetch_access_token(self) -> dict[str, Any]:
        """Refuse: tokens come from the shared store, never from wechatpy's /cgi-bin/token."""
        raise NotImplementedError("wxbot fetches tokens through stable_token")


class WeChatApi:
    """Call the WeChat API for one account with the shared token and wxbot's retry rules."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        wechat = runtime.settings.wechat
        if not wechat.appid or not wechat.secret.get_secret_value():
            raise ConfigError("wechat.appid/secret: both are needed to call the WeChat API")
        self.appid: str = wechat.appid
        self._secret: str = wechat.secret.get_secret_value()
        self.base_url = wechat.api_base_url.rstrip("/")
        self.timeout = wechat.timeout
        self.retries = wechat.retries
        self.backoff = wechat.retry_backoff
        self.sleep = sleep
        #: ``message/mass/sendall``'s send_ignore_reprint for this account (``[publish]``).
        self.send_ignore_reprint: int = runtime.settings.publish.send_ignore_reprint
        self.account = account_key(wechat)
        self.tokens = TokenStore(
            runtime.db,
            self.account,
            self._fetch_token,
            runtime.clock,
            lease_seconds=self.timeout * (self.retries + 2) + 5,
            sleep=sleep,
        )
        self.client = _WechatpyClient(self.appid, self.base_url, self.timeout, self.tokens)
        _mask_library_logs()

    def call(self, api: str, request: Request[T], *, idempotent: bool) -> T:
        """Run one call; ``idempotent`` says whether repeating it can do no harm.

        :raises WeChatError: with WeChat's errcode explained.
        :raises WeChatNetworkError: when no answer came (after retries, if idempotent).
        """
        token_refreshed = False
        attempt = 0
        while True:
            try:
                return request(self.client)
            except WeChatClientException as exc:
                error = _as_error(api, exc)
            except requests.RequestException as exc:
                error = WeChatNetworkError(api, _describe(exc))
            if isinstance(error, WeChatError) and error.errcode in TOKEN_ERRCODES:
                if token_refreshed:
                    raise error
                token_refreshed = True
                logger.info("%s: token refused (%s); refreshing once", api, error.errcode)
                self.tokens.refresh(self.client.last_token)
                continue
            if not (is_transient(error) and idempotent and attempt < self.retries):
                raise error
            wait = self.backoff * 2**attempt
            attempt += 1
            logger.warning("%s: %s; retry %d in %.2fs", api, error, attempt, wait)
            self.sleep(wait)

    def create(self, api: str, make: Callable[[], T], find: Callable[[], T | None]) -> T:
        """Run a call that creates something (``make``) so that it never creates it twice.

        After -1 or a lost answer the call may have taken effect: wait with backoff, then
        ``find`` what it made and adopt that; only when nothing is found call again.
        :raises WeChatError: for every other errcode, or -1 past the retries.
        :raises WeChatNetworkError: when no answer came after the retries and nothing was found.
        """
        attempt = 0
        while True:
            try:
                return make()
            except (WeChatError, WeChatNetworkError) as exc:
                if not is_transient(exc):
                    raise
                error = exc
            wait = self.backoff * 2**attempt
            logger.warning("%s: %s; looking for what it made in %.2fs", api, error, wait)
            self.sleep(wait)
            found = find()
            if found is not None:
                logger.info("%s: the failed call had taken effect; adopting what it made", api)
                return found
            if attempt >= self.retries:
                raise error
            attempt += 1
            logger.info("%s: nothing was made; calling again (retry %d)", api, attempt)

    def post(self, api: str, data: Mapping[str, Any], *, idempotent: bool) -> dict[str, Any]:
        """POST a JSON body to ``/cgi-bin/{api}`` as given (no wechatpy reshaping)."""
        return self.call(
            api,
            lambda c: _answer(api, c.post(api, data=dict(data), headers=JSON_HEADERS)),
            idempotent=idempotent,
        )

    def _fetch_token(self, force_refresh: bool) -> FetchedToken:
        """POST ``/cgi-bin/stable_token`` (wechatpy has no stable_token and a fixed token host).

        https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
        """
        api = "stable_token"
        body = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        attempt = 0
        while True:
            try:
                response = self.client._http.post(
                    f"{self.base_url}/cgi-bin/stable_token",
                    data=json.dumps(body).encode("utf-8"),
                    headers=JSON_HEADERS,
                    timeout=self.timeout,
                )
                response.raise_for_status()
                answer = response.json()
                if not isinstance(answer, dict):
                    raise ValueError("the answer is not a JSON object")
            except (requests.RequestException, ValueError) as exc:
                error: WeChatError | WeChatNetworkError = WeChatNetworkError(api, _describe(exc))
            else:
                errcode = int(answer.get("errcode", 0) or 0)
                if errcode == 0 and answer.get("access_token"):
                    return FetchedToken(str(answer["access_token"]), int(answer["expires_in"]))
                error = WeChatError(api, errcode, str(answer.get("errmsg", "")))
            busy = isinstance(error, WeChatNetworkError) or error.errcode == SYSTEM_BUSY
            if not busy or attempt >= self.retries:
                raise error
            self.sleep(self.backoff * 2**attempt)
            attempt += 1


def is_transient(error: WeChatError | WeChatNetworkError) -> bool:
    """Return whether a failure may pass by itself: -1 (busy), or no answer at all."""
    return isinstance(error, WeChatNetworkError) or error.errcode == SYSTEM_BUSY


def account_key(wechat: WechatSection) -> str:
    """Return the account as records know it: ``appid@api-host``.

    The same AppID behind another API host (the sandbox) has other tokens, media and drafts.
    """
    return f"{wechat.appid}@{urlsplit(wechat.api_base_url).netloc}"


def _answer(api: str, result: Any) -> dict[str, Any]:
    """Return a decoded JSON answer, or raise when WeChat sent something else."""
    if isinstance(result, dict):
        return result
    raise WeChatNetworkError(api, "the answer was not JSON")


def _as_error(api: str, exc: WeChatClientException) -> WeChatError | WeChatNetworkError:
    if exc.errcode is None:  # an HTTP error status: no WeChat answer at all
        status = getattr(exc.response, "status_code", "?")
        return WeChatNetworkError(api, f"HTTP {status}")
    data: dict[str, Any] = {}
    try:
        decoded = exc.response.json() if exc.response is not None else {}
        if isinstance(decoded, dict):
            data = decoded
    except ValueError:
        pass
    return WeChatError(api, int(exc.errcode), str(exc.errmsg or ""), data)


def _describe(exc: BaseException) -> str:
    """Return a short, secret-free description of a network failure."""
    kind = type(exc).__name__
    if isinstance(exc, requests.Timeout):
        return f"{kind}: no answer in time"
    if isinstance(exc, requests.ConnectionError):
        return f"{kind}: the connection failed or was dropped"
    return f"{kind}: {redact(str(exc))[:200]}"
