"""``wxbot menu push|show|delete`` against the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from wxbot.cli import CliEnv, cli
from wxbot.sandbox import SandboxServer
from wxbot.wechat import explain

Cli = Callable[..., Result]


@pytest.fixture
def menu_cli(wechat_config: dict[str, Any]) -> Iterator[Callable[..., Result]]:
    """Return a function running ``wxbot`` against the sandbox (``config`` changes settings)."""
    envs: list[CliEnv] = []

    def run(*args: str, config: dict[str, Any] | None = None) -> Result:
        envs.append(CliEnv(test_config=wechat_config | (config or {})))
        return CliRunner().invoke(cli, list(args), obj=envs[-1], catch_exceptions=False)

    yield run
    for env in envs:
        env.close()


def test_push_sends_the_configured_menu_and_shows_it(menu_cli: Cli, sandbox: SandboxServer) -> None:
    result = menu_cli("menu", "push")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "最新一期  [click] LATEST",
        "往期检索",
        "  └ 数据要素  [click] SEARCH:数据要素",
        "  └ 低空经济  [click] SEARCH:低空经济",
        "  └ 人工智能  [click] SEARCH:人工智能",
        "  └ 算力  [click] SEARCH:算力",
        "  └ 使用帮助  [click] HELP",
        "官网  [view] http://wxbot.test/issues",
    ]
    assert [b.name for b in sandbox.state.menu or []] == ["最新一期", "往期检索", "官网"]


def test_show_and_delete(menu_cli: Cli) -> None:
    assert menu_cli("menu", "show").output == "no menu (`wxbot menu push` sends [menu])\n"
    buttons = [{"name": "帮助", "type": "click", "key": "HELP"}]
    assert menu_cli("menu", "push", config={"menu": {"buttons": buttons}}).exit_code == 0
    assert menu_cli("menu", "show").output == "帮助  [click] HELP\n"
    deleted = menu_cli("menu", "delete")
    assert (deleted.exit_code, deleted.output) == (0, "menu deleted\n")
    assert menu_cli("menu", "show").output.startswith("no menu")


def test_a_refusal_is_explained_in_plain_words(menu_cli: Cli, sandbox: SandboxServer) -> None:
    sandbox.faults.inject("menu/create", errcode=48001)
    result = menu_cli("menu", "push")
    assert result.exit_code == 1
    assert explain(48001) in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_menu_stops_before_any_call(menu_cli: Cli, sandbox: SandboxServer) -> None:
    too_long = [{"name": "最新一期最新一期", "type": "click", "key": "LATEST"}]
    result = menu_cli("menu", "push", config={"menu": {"buttons": too_long}})
    assert result.exit_code == 1
    assert result.output == (
        "Error: invalid configuration: menu.buttons[0].name: '最新一期最新一期' is 24 bytes; "
        "WeChat allows at most 16 (5 Chinese characters)\n"
    )
    assert sandbox.log.entries("/cgi-bin/menu/create") == []


def test_without_credentials_the_command_says_what_to_set(
    menu_cli: Cli, wechat_config: dict[str, Any]
) -> None:
    result = menu_cli("menu", "show", config={"wechat": wechat_config["wechat"] | {"appid": ""}})
    assert result.exit_code == 1
    assert "wechat.appid/secret" in result.output


SECOND_APPID, SECOND_SECRET = "wxsecond0000000001", "secondsecret000000000000000000000"
SECOND_MENU = {"buttons": [{"name": "算力", "type": "click", "key": "SEARCH:算力"}]}


@pytest.fixture
def second(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return the sandbox of a second account, with credentials of its own."""
    return sandbox_factory(appid=SECOND_APPID, secret=SECOND_SECRET)


def accounts_config(second: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Return ``[accounts.second]``, answered by its own sandbox, with its own menu."""
    account = {
        "appid": SECOND_APPID,
        "secret": SECOND_SECRET,
        "api_base_url": second.base_url,
        "menu": SECOND_MENU,
    }
    return {"accounts": {"second": account | changes}}


def test_push_all_accounts_pushes_each_accounts_own_menu_to_its_own_api(
    menu_cli: Cli, sandbox: SandboxServer, second: SandboxServer
) -> None:
    result = menu_cli("menu", "push", "--all-accounts", config=accounts_config(second))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "default: menu pushed (3 buttons)",
        "second: menu pushed (1 buttons)",
    ]
    assert [b.name for b in sandbox.state.menu or []] == ["最新一期", "往期检索", "官网"]
    assert [b.name for b in second.state.menu or []] == ["算力"]
    shown = menu_cli("--account", "second", "menu", "show", config=accounts_config(second))
    assert shown.output == "算力  [click] SEARCH:算力\n"


@pytest.mark.parametrize(
    ("failing", "line"),
    [
        ("default", "default: failed: "),
        ("second", "second: failed: "),
    ],
)
def test_push_all_accounts_goes_on_past_a_failure_and_exits_non_zero(
    menu_cli: Cli, sandbox: SandboxServer, second: SandboxServer, failing: str, line: str
) -> None:
    {"default": sandbox, "second": second}[failing].faults.inject("menu/create", errcode=48001)
    result = menu_cli("menu", "push", "--all-accounts", config=accounts_config(second))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == f"Error: menu not pushed for {failing}"
    (refused,) = [n for n in lines if n.startswith(line)]
    assert explain(48001) in refused
    other = "second" if failing == "default" else "default"
    assert f"{other}: menu pushed" in result.output
    pushed = {"default": sandbox, "second": second}[other]
    assert pushed.state.menu
