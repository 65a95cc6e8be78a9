"""Editor accounts: who may use the console, their passwords, and the sign-in rate limit.

Passwords are kept only as werkzeug's scrypt hashes and never logged. Failed sign-ins are
counted in the database per account and per address, so every web worker sees the same
counts: after :data:`MAX_FAILURES` within :data:`FAILURE_WINDOW` the account (or address)
is refused, even with the right password, until the window has passed.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from .errors import WxbotError
from .runtime import Runtime
from .storage import editors as store

logger = logging.getLogger(__name__)

#: Failed sign-ins an account, or an address, may have within :data:`FAILURE_WINDOW`.
MAX_FAILURES = 5
#: How long a failed sign-in counts against the account and the address.
FAILURE_WINDOW = dt.timedelta(minutes=15)
#: Shortest password accepted, in characters.
PASSWORD_MIN_CHARS = 8
#: Longest password accepted, in characters (hashing a megabyte is a denial of service).
PASSWORD_MAX_CHARS = 1024
#: werkzeug's hashing method: scrypt with its default cost.
HASH_METHOD = "scrypt"

_NAME = re.compile(r"^[\w.@-]+$")


class Role(StrEnum):
    """What an account may do: an admin also manages users and keyword rules."""

    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def is_admin(self) -> bool:
        """Return whether the role manages users and keyword rules."""
        return self is Role.ADMIN


@dataclass(frozen=True)
class Editor:
    """A signed-in person: the account's id, name and role."""

    id: int
    name: str
    role: str
    #: Where the editor's previews go, as read with the session (None: not known or none).
    preview_target: str | None = field(default=None, compare=False)

    @property
    def is_admin(self) -> bool:
        """Return whether the account manages users and keyword rules."""
        return self.role == Role.ADMIN


@dataclass(frozen=True)
class Account:
    """An account as the users page and ``wxbot user list`` show it."""

    name: str
    role: str
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None


class AccountError(WxbotError):
    """An account cannot be added, changed or removed as asked; the message says why."""


class SignInRefused(WxbotError):
    """A sign-in was refused: wrong name or password, or too many failures (``limited``)."""

    def __init__(self, message: str, *, limited: bool) -> None:
        super().__init__(message)
        self.limited = limited


def check_name(name: str) -> str:
    """Return a valid account name, or raise :class:`AccountError` saying what is wrong."""
    if not name:
        raise AccountError("name is empty")
    if len(name) > store.NAME_MAX_CHARS:
        raise AccountError(f"name is longer than {store.NAME_MAX_CHARS} characters")
    if not _NAME.match(name):
        raise AccountError(f"name {name!r}: use letters, digits, '.', '@', '-' or '_' only")
    return name


def check_role(role: str) -> Role:
    """Return the role named, or raise :class:`AccountError` naming the choices."""
    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"role {role!r}: must be editor or admin") from None


def check_password(password: str) -> str:
    """Return a password long enough, or raise :class:`AccountError` (never quoting it)."""
    if len(password) < PASSWORD_MIN_CHARS:
        raise AccountError(f"password must be at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_MAX_CHARS:
        raise AccountError(f"password must be at most {PASSWORD_MAX_CHARS} characters")
    return password


def hash_password(password: str) -> str:
    """Return the stored form of a password (werkzeug's scrypt, salted)."""
    return generate_password_hash(check_password(password), method=HASH_METHOD)


def add_editor(runtime: Runtime, name: str, role: str, password: str) -> Editor:
    """Create an account; raise :class:`AccountError` if the name is taken or input is bad."""
    checked_role = check_role(role)
    password_hash = hash_password(password)
    with runtime.db.begin_write() as conn:
        if store.editor_by_name(conn, check_name(name)) is not None:
            raise AccountError(f"account {name!r} already exists")
        editor_id = store.insert_editor(conn, name, checked_role, password_hash, runtime.now())
    logger.info("account %s added (%s)", name, checked_role)
    return Editor(id=editor_id, name=name, role=checked_role)


def change_password(runtime: Runtime, name: str, password: str) -> None:
    """Set an account's password, signing out its sessions; raise if there is no such account."""
    password_hash = hash_password(password)
    with runtime.db.begin_write() as conn:
        if not store.set_password_hash(conn, name, password_hash):
            raise AccountError(f"no account {name!r}")
    logger.info("password of %s changed", name)


def remove_editor(runtime: Runtime, name: str) -> None:
    """Remove an account (its sessions end); refuse to remove the last admin."""
    with runtime.db.begin_write() as conn:
        row = store.editor_by_name(conn, name)
        if row is None:
            raise AccountError(f"no account {name!r}")
        if row.role == Role.ADMIN and store.count_admins(conn) == 1:
            raise AccountError(f"{name!r} is the last admin: add another admin first")
        store.delete_editor(conn, name)
    logger.info("account %s removed", name)


def list_accounts(runtime: Runtime) -> list[Account]:
    """Return every account, by name."""
    with runtime.db.begin() as conn:
        rows = store.list_editors(conn)
    return [Account(r.name, r.role, r.created_at, r.last_sign_in_at) for r in rows]


def session_editor(runtime: Runtime, editor_id: int, epoch: int) -> Editor | None:
    """Return the account of a session, or None if it was removed or its password changed."""
    with runtime.db.begin() as conn:
        row = store.editor_by_id(conn, editor_id)
    if row is None or row.session_epoch != epoch:
        return None
    return Editor(id=row.id, name=row.name, role=row.role, preview_target=row.preview_target)


def session_epoch(runtime: Runtime, editor_id: int) -> int:
    """Return the account's current session epoch (a new password raises it)."""
    with runtime.db.begin() as conn:
        row = store.editor_by_id(conn, editor_id)
    return row.session_epoch if row else -1


def end_sessions(runtime: Runtime, editor_id: int) -> None:
    """End every session of the account (signing out: a copied cookie is of no use after)."""
    with runtime.db.begin() as conn:
        store.bump_session_epoch(conn, editor_id)


def preview_target(runtime: Runtime, editor_id: int) -> str | None:
    """Return where the editor's previews go (an openid or WeChat ID), or None."""
    with runtime.db.begin() as conn:
        row = store.editor_by_id(conn, editor_id)
    return row.preview_target if row else None


def remember_preview_target(runtime: Runtime, editor_id: int, target: str | None) -> None:
    """Remember where the editor's previews go (None forgets it)."""
    with runtime.db.begin() as conn:
        store.set_preview_target(conn, editor_id, target or None)


def sign_in(runtime: Runtime, name: str, password: str, address: str) -> Editor:
    """Return the account whose name and password these are, counting failures.

    :raises SignInRefused: for a wrong name or password (counted against the name and the
        address), or when either has had :data:`MAX_FAILURES` failures within
        :data:`FAILURE_WINDOW` (then the password is not even checked).
    """
    now = runtime.now()
    since = now - FAILURE_WINDOW
    keys = (("account", name[: store.NAME_MAX_CHARS * 2]), ("address", address[:128]))
    with runtime.db.begin() as conn:
        for scope, key in keys:
            if store.count_failures(conn, scope, key, since) >= MAX_FAILURES:
                oldest = store.oldest_failure(conn, scope, key, since) or now
                minutes = max(1, math.ceil((oldest + FAILURE_WINDOW - now).total_seconds() / 60))
                whom = "this account" if scope == "account" else "this address"
                raise SignInRefused(
                    f"Too many failed sign-ins for {whom}: try again in {minutes} minute"
                    f"{'s' if minutes != 1 else ''}.",
                    limited=True,
                )
        row = store.editor_by_name(conn, name)
    # A missing account costs the same hashing as a wrong password: names do not leak by timing.
    stored = row.password_hash if row else _unused_hash()
    if row is None or not check_password_hash(stored, password[:PASSWORD_MAX_CHARS]):
        with runtime.db.begin() as conn:
            store.forget_failures_before(conn, since)
            for scope, key in keys:
                store.add_failure(conn, scope, key, now)
        raise SignInRefused("Wrong name or password.", limited=False)
    with runtime.db.begin() as conn:
        store.clear_failures(conn, "account", name)
        store.set_last_sign_in(conn, row.id, now)
    return Editor(id=row.id, name=row.name, role=row.role)


@cache
def _unused_hash() -> str:
    return generate_password_hash("no account has this password", method=HASH_METHOD)
