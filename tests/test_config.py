"""Configuration: keys as data, the loading order, validation and secrecy."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from wxbot import config
from wxbot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_need_no_file() -> None:
    cfg = config.load(environ={})
    assert cfg["wechat"]["api_base_url"] == "https://api.weixin.qq.com"
    assert cfg["publish"]["timezone"] == "Asia/Shanghai"
    assert cfg["storage"]["database_url"] == ""


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "wxbot.toml"
    path.write_text('[server]\nport = 9000\nhost = "0.0.0.0"\n[publish]\nauthor = "编辑部"\n')
    env = {"WXBOT_SERVER__PORT": "9100", "WXBOT_PUBLISH__PREVIEW_OPENIDS": '["o1", "o2"]'}
    cfg = config.load(path, environ=env, overrides={"server.host": "127.0.0.2"})
    assert cfg["server"]["port"] == 9100  # environment beats the file
    assert cfg["server"]["host"] == "127.0.0.2"  # overrides beat everything
    assert cfg["publish"]["author"] == "编辑部"  # the file beats the defaults
    assert cfg["publish"]["preview_openids"] == ["o1", "o2"]


def test_wxbot_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[wechat]\nappid = "wx123"\n')
    assert config.load(environ={"WXBOT_CONFIG": str(path)})["wechat"]["appid"] == "wx123"


INVALID = [
    ('[server]\nport = "eighty"\n', "server.port: expected int"),
    ("[server]\nport = 70000\n", "server.port: 70000 is not a TCP port"),
    ('[wechat]\nencoding_aes_key = "short"\n', "wechat.encoding_aes_key: must be 43 characters"),
    ('[wechat]\nmessage_mode = "safe"\n', "wechat.encoding_aes_key: required in safe mode"),
    ('[wechat]\napi_base_url = "ftp://x"\n', "wechat.api_base_url: must start with http"),
    ('[publish]\ntimezone = "Mars/Olympus"\n', "publish.timezone: unknown timezone"),
    ('[publish]\nauthor = "一二三四五六七八九十一二三四五六七"\n', "publish.author: WeChat allows"),
    ('[wechat]\napp_id = "x"\n', "wechat.app_id: unknown key"),
    ('[wechatt]\nappid = "x"\n', "wechatt: unknown section"),
    ("[server\n", "is not valid TOML"),
]


@pytest.mark.parametrize(("toml", "message"), INVALID)
def test_invalid_config_names_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        config.load(path, environ={})


def test_a_bad_secret_is_never_printed(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[wechat]\nsecret = 12345678\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path, environ={})
    assert "12345678" not in str(caught.value) and "wechat.secret" in str(caught.value)


def test_public_view_masks_secrets() -> None:
    cfg = config.load(environ={"WXBOT_WECHAT__SECRET": "s3cr3t", "WXBOT_WECHAT__APPID": "wx1"})
    shown = config.public_view(cfg)
    assert shown["wechat"]["secret"] == "********"
    assert shown["wechat"]["appid"] == "wx1"


def test_example_file_documents_every_key() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    example = tomllib.loads(text)
    lines = text.splitlines()
    for setting in config.SETTINGS:
        assert setting.key in example.get(setting.section, {}), f"{setting.name} undocumented"
        line = next(i for i, ln in enumerate(lines) if ln.startswith(f"{setting.key} ="))
        assert lines[line - 1].startswith("#"), f"{setting.name} has no comment above it"
    # and the example itself is a valid configuration
    config.load(ROOT / "config.example.toml", environ={})


def test_config_command_masks_secrets(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WXBOT_WECHAT__SECRET", "s3cr3t-value")
    result = run_cli("config")
    assert result.exit_code == 0, result.output
    assert '"api_base_url": "https://api.weixin.qq.com"' in result.output
    assert '"secret": "********"' in result.output and "s3cr3t-value" not in result.output
