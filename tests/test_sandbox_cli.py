"""``wxbot sandbox`` and the [sandbox] configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from pydantic import SecretStr

from wxbot import config
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.errors import ConfigError
from wxbot.sandbox import SANDBOX_AES_KEY, SANDBOX_APPID, SANDBOX_TOKEN, SandboxSettings
from wxbot.sandbox.settings import account_settings


def settings_from(overrides: dict[str, Any]) -> SandboxSettings:
    loaded = config.load(environ={}, overrides=overrides)
    return account_settings(loaded.sandbox, loaded.wechat)


def secret(value: SecretStr) -> str:
    return value.get_secret_value()


def test_defaults_are_the_built_in_account() -> None:
    settings = settings_from({})
    assert (settings.appid, settings.token.get_secret_value(), settings.aes_key) == (
        SANDBOX_APPID,
        SANDBOX_TOKEN,
        SANDBOX_AES_KEY,
    )
    assert settings.mode == "safe"


def test_wechat_credentials_are_used() -> None:
    settings = settings_from(
        {"wechat": {"appid": "wx1234567890abcdef", "secret": "s3cret", "token": "tok"}}
    )
    assert (settings.appid, secret(settings.secret), secret(settings.token)) == (
        "wx1234567890abcdef",
        "s3cret",
        "tok",
    )
    assert settings.mode == "plaintext"  # [wechat] has no EncodingAESKey


def test_sandbox_keys_override_wechat() -> None:
    settings = settings_from(
        {
            "wechat": {"appid": "wx1234567890abcdef", "secret": "s3cret"},
            "sandbox": {"secret": "other", "publish_delay": 5, "mass_daily_quota": 4},
        }
    )
    assert (settings.appid, secret(settings.secret)) == ("wx1234567890abcdef", "other")
    assert (settings.publish_delay, settings.mass_daily_quota) == (5.0, 4)


@pytest.mark.parametrize(
    "sandbox",
    [{"message_mode": "loud"}, {"encoding_aes_key": "short"}, {"callback_url": "ftp://x"}],
)
def test_bad_sandbox_settings_are_refused(sandbox: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="sandbox"):
        settings_from({"sandbox": sandbox})


def test_bad_configuration_is_reported() -> None:
    result = CliRunner().invoke(
        cli, ["sandbox", "--callback-url", "ftp://nowhere"], obj=CliEnv(test_config={})
    )
    assert result.exit_code == 1, result.output
    assert "invalid configuration: sandbox.callback_url" in result.output


def test_command_serves_until_interrupted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from wxbot.cli import cli; cli()", "sandbox", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("WeChat API sandbox on http://127.0.0.1:"), first
        base_url = first.split()[-1]
        state = requests.get(f"{base_url}/sandbox/state", timeout=5).json()
        assert state["account"]["appid"] == SANDBOX_APPID
        params = {"grant_type": "client_credential", "appid": SANDBOX_APPID, "secret": "wrong"}
        requests.get(f"{base_url}/cgi-bin/token", params=params, timeout=5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "stopping" in out
    (logged,) = [line for line in err.splitlines() if "/cgi-bin/token" in line]
    assert "errcode 40125" in logged and "wrong" not in logged  # logged, secret masked
