"""``/cgi-bin/token`` and ``/cgi-bin/stable_token``, and the access_token check of every other call.

https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
The two kinds of token live apart: fetching one never touches the other.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import limits
from .protocol import ApiError, Call, Reply, require_json_content_type
from .state import AccessToken, TokenFetch, same_platform_day

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)


def get_token(account: Account, call: Call) -> Reply:
    """Issue a new token; the previous one keeps working for the grace period, then dies."""
    _check_credentials(account, call.query)
    state, now = account.state, account.now()
    today = [
        f for f in state.token_fetches if f.endpoint == "token" and same_platform_day(f.at, now)
    ]
    if len(today) >= limits.TOKEN_DAILY_LIMIT:
        raise ApiError(45009, "token daily limit")
    previous = state.tokens.get(state.current_token)
    if previous is not None:
        grace_end = now + account.settings.token_grace
        previous.revoked_at = min(previous.revoked_at or grace_end, grace_end)
    token = _issue(account, "token", now)
    state.current_token = token.value
    state.token_fetches.append(TokenFetch(now, "token", token.value, new=True))
    return Reply({"access_token": token.value, "expires_in": _expires_in(token, now)})


def get_stable_token(account: Account, call: Call) -> Reply:
    """Return the current stable token while it has more than 5 minutes left, else a new one.

    The page says POST JSON: a body without ``Content-Type: application/json`` is refused.
    """
    require_json_content_type(call)
    body = call.json()
    _check_credentials(account, body)
    force = body.get("force_refresh") in (True, 1, "true")
    state, now = account.state, account.now()
    current = state.tokens.get(state.current_stable)
    if current is None or not _alive(current, now):
        renew = True
    elif force and _may_force_refresh(account, now):
        current.revoked_at = now  # "会导致上次获取的 access_token 失效"
        state.force_refreshes.append(now)
        renew = True
    else:
        force = False
        # "普通模式下平台会提前5分钟更新": the old token lives out its time meanwhile.
        renew = current.expires_at - now <= limits.STABLE_TOKEN_RENEW_BEFORE_SECONDS
    if renew or current is None:
        current = _issue(account, "stable", now)
        state.current_stable = current.value
    state.token_fetches.append(
        TokenFetch(now, "stable_token", current.value, new=renew, force_refresh=force)
    )
    return Reply({"access_token": current.value, "expires_in": _expires_in(current, now)})


def check_access_token(account: Account, value: str | None) -> None:
    """Raise 41001 (missing), 40001 (unknown or superseded) or 42001 (expired) for a bad token."""
    if not value:
        raise ApiError(41001)
    token = account.state.tokens.get(value)
    now = account.now()
    if token is None or (token.revoked_at is not None and now >= token.revoked_at):
        raise ApiError(40001)
    if now >= token.expires_at:
        raise ApiError(42001)


def _check_credentials(account: Account, params: Mapping[str, Any]) -> None:
    if params.get("grant_type") != "client_credential":
        raise ApiError(40002)
    if not params.get("appid"):
        raise ApiError(41002)
    if not params.get("secret"):
        raise ApiError(41004)
    if params["appid"] != account.settings.appid:
        raise ApiError(40013)
    if params["secret"] != account.settings.secret.get_secret_value():
        raise ApiError(40125)


def _may_force_refresh(account: Account, now: float) -> bool:
    """Return whether a forced refresh may happen now; too soon just returns the current one."""
    done = account.state.force_refreshes
    if sum(same_platform_day(at, now) for at in done) >= limits.STABLE_TOKEN_FORCE_REFRESH_PER_DAY:
        raise ApiError(45009, "force_refresh daily limit")
    return not done or now - done[-1] >= limits.STABLE_TOKEN_FORCE_REFRESH_INTERVAL_SECONDS


def _issue(account: Account, kind: str, now: float) -> AccessToken:
    token = AccessToken(
        value=secrets.token_urlsafe(102),
        kind=kind,
        issued_at=now,
        expires_at=now + account.settings.token_ttl,
    )
    account.state.tokens[token.value] = token
    return token


def _alive(token: AccessToken, now: float) -> bool:
    return now < token.expires_at and (token.revoked_at is None or now < token.revoked_at)


def _expires_in(token: AccessToken, now: float) -> int:
    return max(0, int(token.expires_at - now))
