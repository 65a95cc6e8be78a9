"""Settings: typed keys declared once, the loading order, validation, secrecy, database URLs."""

from __future__ import annotations

import datetime as dt
import re
import socket
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from wxbot import config
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.errors import ConfigError
from wxbot.runtime import default_instance_path
from wxbot.sandbox import limits

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_need_no_file() -> None:
    settings = config.load(environ={})
    assert settings.wechat.api_base_url == "https://api.weixin.qq.com"
    assert settings.publish.timezone == "Asia/Shanghai"
    assert settings.storage.database_url.get_secret_value() == ""
    assert settings.schedule.min_lead == dt.timedelta(minutes=5)


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "wxbot.toml"
    path.write_text('[server]\nport = 9000\nhost = "0.0.0.0"\n[publish]\nauthor = "编辑部"\n')
    env = {"WXBOT_SERVER__PORT": "9100", "WXBOT_PUBLISH__PREVIEW_OPENIDS": '["o1", "o2"]'}
    settings = config.load(path, environ=env, overrides={"server.host": "127.0.0.2"})
    assert settings.server.port == 9100  # environment beats the file
    assert settings.server.host == "127.0.0.2"  # overrides beat everything
    assert settings.publish.author == "编辑部"  # the file beats the defaults
    assert settings.publish.preview_openids == ["o1", "o2"]


def test_environment_values_are_typed() -> None:
    env = {
        "WXBOT_SCHEDULE__MIN_LEAD": "60",
        "WXBOT_SCHEDULE__IN_PROCESS": "false",
        "WXBOT_WECHAT__TIMEOUT": "2.5",
    }
    settings = config.load(environ=env)
    assert settings.schedule.min_lead == dt.timedelta(seconds=60)
    assert settings.schedule.in_process is False
    assert settings.wechat.timeout == 2.5


def test_wxbot_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[wechat]\nappid = "wx123"\n')
    assert config.load(environ={"WXBOT_CONFIG": str(path)}).wechat.appid == "wx123"


INVALID_FILES = [
    ('[server]\nport = "eighty"\n', "server.port: expected int"),
    ("[server]\nport = 70000\n", "server.port: 70000 is not a TCP port"),
    ('[wechat]\nencoding_aes_key = "short"\n', "wechat.encoding_aes_key: must be 43 characters"),
    ('[wechat]\nmessage_mode = "safe"\n', "wechat.encoding_aes_key: required in safe mode"),
    ('[wechat]\nmessage_mode = "loud"\n', "wechat.message_mode: must be '', 'plaintext', 'compat"),
    ('[wechat]\napi_base_url = "ftp://x"\n', "wechat.api_base_url: must start with http"),
    ('[publish]\ntimezone = "Mars/Olympus"\n', "publish.timezone: unknown timezone"),
    ('[publish]\nauthor = "一二三四五六七八九十一二三四五六七"\n', "publish.author: WeChat allows"),
    ("[schedule]\nmax_delay = 90000\n", "schedule.max_delay: must be under 23 hours"),
    ("[schedule]\nlease = 0\n", "schedule.lease: must be positive"),
    ("[schedule]\ndaily_quota = -1\n", "schedule.daily_quota: must not be negative"),
    ('[brand]\nqr_codes = [{ image = "a.png" }]\n', r"brand.qr_codes\[0\].caption: missing"),
    ('[wechat]\napp_id = "x"\n', "wechat.app_id: unknown key in config file"),
    ('[wechatt]\nappid = "x"\n', "wechatt: unknown section in config file"),
    ("[server\n", "is not valid TOML"),
]


@pytest.mark.parametrize(("toml", "message"), INVALID_FILES)
def test_invalid_file_names_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        config.load(path, environ={})


#: Values that loaded before settings were typed, each with the error that now names its key.
INVALID_VALUES = [
    ({"publish.send_ignore_reprint": 2}, "publish.send_ignore_reprint: must be 0 or 1"),
    ({"publish.preview_openids": [1, None]}, r"publish.preview_openids\[0\]: expected str"),
    ({"publish.preview_openids": [""]}, r"publish.preview_openids\[0\]: String should have"),
    ({"brand.primary_color": "blue"}, "brand.primary_color: expected a colour like #1F4E9D"),
    ({"brand.accent_color": "#E8F0F"}, "brand.accent_color: expected a colour like #1F4E9D"),
    ({"search.cache_size": -5}, "search.cache_size: must not be negative"),
    ({"callback.max_body_bytes": 0}, "callback.max_body_bytes: must be positive"),
    ({"wechat.retries": -3}, "wechat.retries: must not be negative"),
    ({"wechat.timeout": 0}, "wechat.timeout: must be positive"),
    ({"search.synonyms": [["AI", 3]]}, r"search.synonyms\[0\]\[1\]: expected str"),
    ({"schedule.in_process": "sometimes"}, "schedule.in_process: expected bool"),
    ({"sandbox.callback_tries": 0}, "sandbox.callback_tries: must be at least 1"),
]


@pytest.mark.parametrize(("overrides", "message"), INVALID_VALUES)
def test_invalid_values_are_refused_at_load(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(environ={}, overrides=overrides)


ENV_TYPOS = [
    ({"WXBOT_WECHAT__APPIDD": "wx1"}, r"wechat.appidd: unknown key in the environment"),
    ({"WXBOT_WECHATT__APPID": "wx1"}, "WXBOT_WECHATT__APPID: no such setting"),
    ({"WXBOT_WECHAT_APPID": "wx1"}, "WXBOT_WECHAT_APPID: no such setting"),
    ({"WXBOT_SERVER__PORT": "eighty"}, "server.port: expected int"),
    ({"WXBOT_PUBLISH__PREVIEW_OPENIDS": "o1,o2"}, "WXBOT_PUBLISH__PREVIEW_OPENIDS must be JSON"),
]


@pytest.mark.parametrize(("environ", "message"), ENV_TYPOS)
def test_environment_typos_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(environ=environ)


def test_other_wxbot_variables_are_left_alone() -> None:
    environ = {"WXBOT_TEST_POSTGRES_URL": "postgresql://x", "WXBOT_TEST_CRASH_AT": ""}
    assert config.load(environ=environ).wechat.appid == ""


def test_a_bad_secret_is_never_printed(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[wechat]\nsecret = 12345678\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path, environ={})
    assert "12345678" not in str(caught.value) and "wechat.secret" in str(caught.value)


def test_secrets_stay_hidden_in_settings_and_their_view() -> None:
    env = {
        "WXBOT_WECHAT__SECRET": "s3cr3t",
        "WXBOT_WECHAT__APPID": "wx1",
        "WXBOT_STORAGE__DATABASE_URL": "postgresql+psycopg://editor:pa55word@db.internal:5432/wx",
    }
    settings = config.load(environ=env)
    assert "s3cr3t" not in repr(settings) and "pa55word" not in repr(settings)
    shown = config.public_view(settings)
    assert shown["wechat"]["secret"] == "********"
    assert shown["wechat"]["appid"] == "wx1"
    url = "postgresql+psycopg://editor:********@db.internal:5432/wx"
    assert shown["storage"]["database_url"] == url


def test_example_file_documents_every_key() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert text == config.example_toml(), "regenerate: wxbot config --example"
    example = tomllib.loads(text)
    lines = text.splitlines()
    for section, key, _default, _help in config.keys():
        assert key in example.get(section, {}), f"{section}.{key} undocumented"
        line = next(i for i, ln in enumerate(lines) if ln.startswith(f"{key} ="))
        assert lines[line - 1].startswith("#"), f"{section}.{key} has no comment above it"
    # and the example itself is a valid configuration
    config.load(ROOT / "config.example.toml", environ={})


def test_the_sandbox_defaults_are_the_platform_limits() -> None:
    sandbox = config.SandboxSettings()
    assert (sandbox.token_ttl, sandbox.token_grace) == (
        limits.TOKEN_TTL_SECONDS,
        limits.TOKEN_GRACE_SECONDS,
    )
    assert sandbox.mass_daily_quota == limits.MASS_DAILY_QUOTA_SUBSCRIPTION
    assert sandbox.clientmsgid_retry_interval == limits.CLIENTMSGID_RETRY_INTERVAL_SECONDS
    assert (sandbox.callback_timeout, sandbox.callback_tries) == (
        limits.CALLBACK_TIMEOUT_SECONDS,
        limits.CALLBACK_TRIES,
    )


def test_the_default_instance_folder_is_flasks() -> None:
    assert default_instance_path() == Path(Flask("wxbot").instance_path)


# --- the command line ----------------------------------------------------------------------


def test_config_command_masks_secrets(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WXBOT_WECHAT__SECRET", "s3cr3t-value")
    result = run_cli("config")
    assert result.exit_code == 0, result.output
    assert '"api_base_url": "https://api.weixin.qq.com"' in result.output
    assert '"secret": "********"' in result.output and "s3cr3t-value" not in result.output


def test_config_command_shows_the_database_url(tmp_path: Path) -> None:
    url = "postgresql+psycopg://editor:pa55word@db.internal:5432/wxbot"
    result = wxbot(tmp_path, "config", database_url=url)
    assert result.exit_code == 0, result.output
    assert "postgresql+psycopg://editor:********@db.internal:5432/wxbot" in result.output
    assert "pa55word" not in result.output


def test_an_environment_typo_stops_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WXBOT_WECHAT__APPIDD", "wx1")
    result = wxbot(tmp_path, "issues")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: invalid configuration: wechat.appidd: unknown key in the environment "
        "(WXBOT_WECHAT__APPIDD)"
    ]


def wxbot(folder: Path, *args: str, database_url: str | None = None) -> Result:
    """Run a command with the instance folder in ``folder`` (not created beforehand)."""
    test_config: dict[str, Any] = {"instance_path": folder / "instance"}
    if database_url is not None:
        test_config["storage"] = {"database_url": database_url}
    return CliRunner().invoke(cli, list(args), obj=CliEnv(test_config=test_config))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


BAD_DATABASE_URLS = [
    ("mysql://u:p@localhost/wxbot", r"wxbot supports sqlite:/// and postgresql\+psycopg://"),
    ("postgres://u:p@localhost/wxbot", "not postgres://"),
    ("not a url", "not a database URL"),
    ("postgresql+pg8000://u:p@localhost/wxbot", "pip install 'wxbot\\[postgres\\]'"),
    ("postgresql+nosuch://u:p@localhost/wxbot", "unknown driver 'postgresql\\+nosuch'"),
    ("sqlite:///{folder}/typo/wxbot.sqlite3", "the folder .*/typo of the SQLite file does not"),
    (
        "postgresql+psycopg://u:pw@127.0.0.1:{port}/wxbot",
        "cannot connect to PostgreSQL at 127.0.0.1:{port} .*check that the server runs",
    ),
]


@pytest.mark.parametrize(("url", "message"), BAD_DATABASE_URLS)
def test_a_bad_database_url_is_one_line_and_creates_nothing(
    tmp_path: Path, url: str, message: str
) -> None:
    port = closed_port()
    url, message = url.format(folder=tmp_path, port=port), message.format(port=port)
    result = wxbot(tmp_path, "issues", database_url=url)
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: ") and "Traceback" not in result.output
    assert re.search(message, line), line
    assert "pw@" not in line and ":p@" not in line  # no password in the message
    assert list(tmp_path.iterdir()) == []  # no folder, no database file


def test_only_the_instance_folder_is_created(tmp_path: Path) -> None:
    result = wxbot(tmp_path, "issues")
    assert result.exit_code == 0, result.output
    assert "the archive is empty" in result.output
    assert (tmp_path / "instance" / "wxbot.sqlite3").is_file()
