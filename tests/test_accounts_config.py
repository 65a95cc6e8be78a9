"""``[accounts.<name>]``: more official accounts beside ``[wechat]``, read and checked at load."""

from __future__ import annotations

import re
from typing import Any

import pytest

from wxbot import config
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.errors import ConfigError

TWO_ACCOUNTS: dict[str, Any] = {
    "wechat": {"appid": "wxdefault", "secret": "s1", "api_base_url": "http://127.0.0.1:9001"},
    "brand": {"series_name": "新质生产力每日动态"},
    "accounts": {
        "gongye": {
            "appid": "wxgongye",
            "secret": "s2",
            "token": "t2",
            "display_name": "工业智能算网",
            "brand": {"footer_text": "工业智能算网 出品"},
            "theme": "red",
        }
    },
}


def test_an_account_sees_its_own_credentials_and_look_and_inherits_the_api() -> None:
    settings = config.load(environ={}, overrides=TWO_ACCOUNTS)
    default_digest = settings.digest  # what is rendered is kept under it: computed first
    gongye = settings.for_account("gongye")

    assert gongye.digest != default_digest  # so the account's look is rendered, not the default's
    assert settings.account_names() == ["default", "gongye"]
    assert gongye.wechat.appid == "wxgongye"
    assert gongye.wechat.secret.get_secret_value() == "s2"
    assert gongye.wechat.api_base_url == "http://127.0.0.1:9001"  # taken from [wechat]
    assert gongye.brand.footer_text == "工业智能算网 出品"
    assert gongye.brand.series_name == "新质生产力每日动态"  # the rest of [brand]
    assert gongye.render.theme == "red"
    assert settings.for_account("default") is settings
    assert settings.for_account("default").render.theme == "blue"


def test_a_single_wechat_section_is_the_one_account_it_always_was() -> None:
    settings = config.load(environ={}, overrides={"wechat": {"appid": "wxonly"}})

    assert settings.account_names() == ["default"]
    assert settings.for_account("default").wechat.appid == "wxonly"


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ({"Gong": {"appid": "wx1"}}, "accounts.Gong: an account name is 1-32 lowercase"),
        ({"default": {"appid": "wx1"}}, "accounts.default: 'default' is the [wechat] account"),
        ({"gongye": {}}, "accounts.gongye.appid: required"),
        ({"gongye": {"appid": "wxdefault"}}, "accounts.gongye.appid: wxdefault is already"),
        ({"gongye": {"appid": "wx1", "colour": "red"}}, "accounts.gongye.colour: unknown key"),
        (
            {"gongye": {"appid": "wx1", "brand": {"primary_color": "blue"}}},
            "accounts.gongye.brand.primary_color: expected a colour",
        ),
        (
            {"gongye": {"appid": "wx1", "message_mode": "safe"}},
            "encoding_aes_key: required in safe mode",
        ),
        ({"gongye": "wx1"}, "accounts.gongye: expected a table"),
    ],
)
def test_a_bad_account_is_refused_at_load_naming_it(accounts: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.load(environ={}, overrides={"wechat": {"appid": "wxdefault"}, "accounts": accounts})


def test_an_account_can_come_from_the_environment_as_json() -> None:
    settings = config.load(environ={"WXBOT_ACCOUNTS__GONGYE": '{"appid": "wxenv", "secret": "x"}'})

    assert settings.for_account("gongye").wechat.appid == "wxenv"


def test_an_unknown_account_is_refused_naming_the_ones_there_are() -> None:
    settings = config.load(environ={}, overrides=TWO_ACCOUNTS)

    with pytest.raises(
        ConfigError, match=r"no account named 'zhongxin' \(accounts: default, gongye\)"
    ):
        settings.for_account("zhongxin")


def test_config_shows_each_account_with_its_secrets_masked(tmp_path: Any) -> None:
    from click.testing import CliRunner

    env = CliEnv(test_config={**TWO_ACCOUNTS, "instance_path": tmp_path})
    result = CliRunner().invoke(cli, ["config"], obj=env)

    assert result.exit_code == 0, result.output
    assert '"appid": "wxgongye"' in result.output
    assert "s2" not in result.output and "t2" not in result.output
    assert '"secret": "********"' in result.output


def test_the_cli_acts_for_the_account_it_is_given(tmp_path: Any) -> None:
    from click.testing import CliRunner

    env = CliEnv(test_config={**TWO_ACCOUNTS, "instance_path": tmp_path})
    try:
        CliRunner().invoke(cli, ["--account", "gongye", "config"], obj=env)
        assert env.runtime.account == "gongye"
        assert env.runtime.settings.wechat.appid == "wxgongye"
        result = CliRunner().invoke(cli, ["--account", "nobody", "menu", "show"], obj=env)
        assert result.exit_code != 0
        assert "no account named 'nobody'" in result.output
    finally:
        env.close()
