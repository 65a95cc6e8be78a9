"""``wxbot user add|passwd|list|remove``: accounts made on the server's command line."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from wxbot.editors import SignInRefused, list_accounts, sign_in
from wxbot.runtime import Runtime
from wxbot.storage import editors as editor_store

PASSWORD = "correct horse battery"

RunCli = Callable[..., Result]


def password_hash(runtime: Runtime, name: str) -> str:
    with runtime.db.begin() as conn:
        row = editor_store.editor_by_name(conn, name)
    assert row is not None
    return row.password_hash


def test_add_prompts_twice_and_stores_only_a_scrypt_hash(run_cli: RunCli, runtime: Runtime) -> None:
    result = run_cli("user", "add", "ann", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "added ann (admin): sign in at http://wxbot.test/console/sign-in" in result.output
    assert PASSWORD not in result.output  # the prompt does not echo it
    stored = password_hash(runtime, "ann")
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    assert sign_in(runtime, "ann", PASSWORD, "127.0.0.1").role == "admin"


def test_add_reads_the_password_from_stdin(run_cli: RunCli, runtime: Runtime) -> None:
    result = run_cli("user", "add", "bob", "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert [(a.name, a.role) for a in list_accounts(runtime)] == [("bob", "editor")]
    assert sign_in(runtime, "bob", PASSWORD, "127.0.0.1").name == "bob"


def test_a_short_password_is_asked_for_again(run_cli: RunCli, runtime: Runtime) -> None:
    result = run_cli("user", "add", "ann", input=f"short\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "password must be at least 8 characters" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (["user", "add", "ann", "--password-stdin"], "short\n", "at least 8 characters"),
        (["user", "add", "a b", "--password-stdin"], f"{PASSWORD}\n", "use letters, digits"),
        (["user", "add", "ann", "--role", "owner"], "", "'owner' is not one of"),
        (["user", "add", "old", "--password-stdin"], f"{PASSWORD}\n", "'old' already exists"),
        (["user", "passwd", "nobody", "--password-stdin"], f"{PASSWORD}\n", "no account 'nobody'"),
        (["user", "remove", "nobody"], "", "no account 'nobody'"),
        (["user", "remove", "old"], "", "'old' is the last admin"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    run_cli: RunCli, runtime: Runtime, args: list[str], stdin: str, error: str
) -> None:
    assert run_cli("user", "add", "old", "--role", "admin", "--password-stdin",
                   input=f"{PASSWORD}\n").exit_code == 0  # fmt: skip
    result = run_cli(*args, input=stdin)
    assert result.exit_code != 0
    assert error in result.output, result.output
    assert [a.name for a in list_accounts(runtime)] == ["old"]


def test_passwd_changes_the_password(run_cli: RunCli, runtime: Runtime) -> None:
    run_cli("user", "add", "ann", "--password-stdin", input=f"{PASSWORD}\n")
    result = run_cli("user", "passwd", "ann", input="a new password\na new password\n")
    assert result.exit_code == 0, result.output
    assert "changed the password of ann" in result.output
    assert sign_in(runtime, "ann", "a new password", "127.0.0.1").name == "ann"
    with pytest.raises(SignInRefused):
        sign_in(runtime, "ann", PASSWORD, "127.0.0.1")


def test_list_and_remove(run_cli: RunCli, runtime: Runtime) -> None:
    assert "no accounts yet" in run_cli("user", "list").output
    run_cli("user", "add", "ann", "--role", "admin", "--password-stdin", input=f"{PASSWORD}\n")
    run_cli("user", "add", "bob", "--password-stdin", input=f"{PASSWORD}\n")
    listed = run_cli("user", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["ann", "admin"], ["bob", "editor"]]
    assert all("(Asia/Shanghai)" in line and "last sign-in never" in line for line in lines)
    removed = run_cli("user", "remove", "bob")
    assert removed.exit_code == 0 and removed.output == "removed bob\n"
    assert [a.name for a in list_accounts(runtime)] == ["ann"]
