"""The accounts one sandbox serves, as api.weixin.qq.com serves every official account.

A call names its account either by appid (``/cgi-bin/token`` in the query,
``/cgi-bin/stable_token`` in the JSON body) or by the access_token it carries, which belongs to
one account only: "access_token是公众号的全局唯一接口调用凭据"
(https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html).
A token of another account is just an invalid token (40001, "查看是否正在为恰当的公众号调用接口":
https://developers.weixin.qq.com/community/develop/doc/00026c56744db0922e53b07b566400).
Whatever names no account goes to the first, so an unknown appid, an unknown token or an
unsimulated path gets the errcode a single account gives it (40013, 40001, 48001…).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from flask import Response, abort, current_app, jsonify, request

from ..errors import ConfigError
from .account import Account
from .protocol import ApiError, Call

#: Where the token endpoints read the appid: /cgi-bin/token's query, stable_token's JSON body.
APPID_IN_QUERY = "token"
APPID_IN_BODY = "stable_token"

#: The query parameter that picks an account on ``/sandbox/...`` (default: the first account).
ACCOUNT_PARAM = "appid"


class Accounts(Mapping[str, Account]):
    """Hold the sandbox's accounts by appid, in order; the first answers what names none."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._by_appid: dict[str, Account] = {}
        original_ids: set[str] = set()
        for account in accounts:
            appid, original_id = account.settings.appid, account.settings.original_id
            if appid in self._by_appid:
                raise ConfigError(f"sandbox: two accounts have the appid {appid}")
            if original_id in original_ids:
                raise ConfigError(f"sandbox: two accounts have the original_id {original_id}")
            self._by_appid[appid] = account
            original_ids.add(original_id)
        if not self._by_appid:
            raise ConfigError("sandbox: no account to serve")

    def __getitem__(self, appid: str) -> Account:
        return self._by_appid[appid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_appid)

    def __len__(self) -> int:
        return len(self._by_appid)

    @property
    def first(self) -> Account:
        """Return the first account: ``[sandbox]``'s, the one a single-account sandbox is."""
        return next(iter(self._by_appid.values()))

    def for_call(self, call: Call) -> Account:
        """Return the account a ``/cgi-bin`` call is for: by its appid or by its access_token."""
        if call.name == APPID_IN_QUERY:
            return self._by_appid.get(call.query.get("appid", ""), self.first)
        if call.name == APPID_IN_BODY:
            return self._by_appid.get(_body_appid(call), self.first)
        return self.for_token(call.query.get("access_token"))

    def for_token(self, value: str | None) -> Account:
        """Return the account that issued the access_token ``value`` (the first if none did)."""
        if value:
            for account in self._by_appid.values():
                if value in account.state.tokens:
                    return account
        return self.first

    def find(self, owns: Any) -> Account | None:
        """Return the first account for which ``owns(account)`` is true, if any."""
        for account in self._by_appid.values():
            with account.lock:
                if owns(account):
                    return account
        return None

    def set_base_url(self, url: str) -> None:
        """Tell every account where the sandbox listens."""
        for account in self._by_appid.values():
            account.base_url = url

    def tick(self) -> None:
        """Complete every account's publishes and mass sends whose time has come."""
        for account in self._by_appid.values():
            account.tick()

    def listing(self) -> list[dict[str, Any]]:
        """Return what ``GET /sandbox/accounts`` answers: each account and where to inspect it."""
        listed = []
        for appid, account in self._by_appid.items():
            s = account.settings
            with account.lock:
                followers = len(account.state.followers)
            base = account.public_base()
            listed.append(
                {
                    "appid": appid,
                    "original_id": s.original_id,
                    "account_name": s.account_name,
                    "mode": s.mode,
                    "callback_url": s.callback_url,
                    "followers": followers,
                    "state_url": f"{base}/sandbox/state?{ACCOUNT_PARAM}={appid}",
                }
            )
        return listed


def _body_appid(call: Call) -> str:
    try:
        appid = call.json().get("appid")
    except ApiError:
        return ""
    return appid if isinstance(appid, str) else ""


def current_accounts() -> Accounts:
    """Return the accounts of the sandbox app serving the request."""
    accounts: Accounts = current_app.extensions["wxbot_sandbox"]
    return accounts


def requested_account() -> Account:
    """Return the account ``?appid=`` names (the first without it); 404 for an unknown appid."""
    accounts = current_accounts()
    appid = request.args.get(ACCOUNT_PARAM)
    if not appid:
        return accounts.first
    account = accounts.get(appid)
    if account is None:
        known = ", ".join(accounts)
        message = f"no sandbox account has the appid {appid!r} (accounts: {known})"
        abort(_not_found(message))
    return account


def _not_found(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 404
    return response
