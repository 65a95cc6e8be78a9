"""A local simulator of the WeChat official-account API, speaking the documented protocol.

Used by the tests, the demo and anyone trying wxbot without an account. It stands alone:
it imports neither wechatpy nor ``wxbot.wechat``, so it checks the client instead of echoing it.
"""

from __future__ import annotations

from .account import Account
from .app import create_sandbox_app
from .server import SandboxServer
from .settings import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_ORIGINAL_ID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxSettings,
)

__all__ = [
    "SANDBOX_AES_KEY",
    "SANDBOX_APPID",
    "SANDBOX_ORIGINAL_ID",
    "SANDBOX_SECRET",
    "SANDBOX_TOKEN",
    "Account",
    "SandboxServer",
    "SandboxSettings",
    "create_sandbox_app",
]
