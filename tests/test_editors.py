"""Editor accounts in the domain: hashes, sessions, the rate limit, preview targets, the demo's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from console_support import PASSWORD, Clock, make_editor

from wxbot import editors
from wxbot.demo import add_demo_editor
from wxbot.editors import AccountError, SignInRefused
from wxbot.runtime import Runtime
from wxbot.storage import editors as store


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 6, 25, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def runtime(app_config: dict[str, Any], clock: Clock, runtime_factory: Any) -> Runtime:
    made: Runtime = runtime_factory(app_config | {"clock": clock})
    return made


def test_only_a_salted_scrypt_hash_is_stored(runtime: Runtime) -> None:
    make_editor(runtime, "ann")
    make_editor(runtime, "bob")
    with runtime.db.begin() as conn:
        hashes = [row.password_hash for row in store.list_editors(conn)]
    assert all(h.startswith("scrypt:") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # the same password, salted apart


def test_a_session_ends_when_signed_out_or_the_password_changes(runtime: Runtime) -> None:
    ann = make_editor(runtime, "ann")
    epoch = editors.session_epoch(runtime, ann.id)
    assert editors.session_editor(runtime, ann.id, epoch) == ann
    editors.end_sessions(runtime, ann.id)
    assert editors.session_editor(runtime, ann.id, epoch) is None
    epoch = editors.session_epoch(runtime, ann.id)
    editors.change_password(runtime, "ann", "another password")
    assert editors.session_editor(runtime, ann.id, epoch) is None


def test_the_rate_limit_counts_within_the_window(runtime: Runtime, clock: Clock) -> None:
    make_editor(runtime, "ann")
    for _ in range(editors.MAX_FAILURES - 1):
        with pytest.raises(SignInRefused) as refused:
            editors.sign_in(runtime, "ann", "guess", "10.0.0.1")
        assert not refused.value.limited
    clock.advance(minutes=10)
    with pytest.raises(SignInRefused):
        editors.sign_in(runtime, "ann", "guess", "10.0.0.1")  # the fifth failure
    with pytest.raises(SignInRefused, match="try again in 5 minutes") as limited:
        editors.sign_in(runtime, "ann", PASSWORD, "10.0.0.2")
    assert limited.value.limited
    clock.advance(minutes=5, seconds=1)  # the first four are out of the window
    assert editors.sign_in(runtime, "ann", PASSWORD, "10.0.0.2").name == "ann"


def test_the_preview_target_is_remembered_per_editor(runtime: Runtime) -> None:
    ann, bob = make_editor(runtime, "ann"), make_editor(runtime, "bob")
    editors.remember_preview_target(runtime, ann.id, "wxid_ann")
    assert editors.preview_target(runtime, ann.id) == "wxid_ann"
    assert editors.preview_target(runtime, bob.id) is None
    editors.remember_preview_target(runtime, ann.id, "")
    assert editors.preview_target(runtime, ann.id) is None


def test_a_second_admin_lets_the_first_go(runtime: Runtime) -> None:
    make_editor(runtime, "ann", "admin")
    with pytest.raises(AccountError, match="last admin"):
        editors.remove_editor(runtime, "ann")
    make_editor(runtime, "bob", "admin")
    editors.remove_editor(runtime, "ann")
    assert [a.name for a in editors.list_accounts(runtime)] == ["bob"]


def test_the_demo_editor_signs_in_with_the_printed_password(runtime: Runtime) -> None:
    name, password = add_demo_editor(runtime)
    editor = editors.sign_in(runtime, name, password, "127.0.0.1")
    assert editor.is_admin and len(password) >= editors.PASSWORD_MIN_CHARS
