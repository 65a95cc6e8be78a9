"""Which official account a console page acts for: ``account=NAME`` in its query or form."""

from __future__ import annotations

from flask import abort, current_app, request

from ..config.accounts import display_name
from ..errors import ConfigError
from ..runtime import Runtime, get_runtime


def acting_runtime() -> Runtime:
    """Return the runtime of the account the request names (``account``), else the default's.

    Aborts with 404 when no configured account has that name: an action meant for one
    account is never done on another.
    """
    runtime = get_runtime(current_app)
    name = request.values.get("account", "").strip()
    if not name or name == runtime.account:
        return runtime
    try:
        return runtime.for_account(name)
    except ConfigError as exc:
        abort(404, str(exc))


def account_choices(runtime: Runtime) -> tuple[tuple[str, str], ...]:
    """Return every configured account as ``(name, shown name)``; empty with only one."""
    every = runtime.all_settings or runtime.settings
    if not every.accounts:
        return ()
    return tuple((name, display_name(every.accounts, name)) for name in every.account_names())
