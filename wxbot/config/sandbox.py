"""The ``[sandbox]`` section: the simulated WeChat account (``wxbot.sandbox``)."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)

from .fields import MessageMode, Section, aes_key_check, url_check


class SandboxSettings(Section):
    """``[sandbox]``: what the WeChat API sandbox accepts, signs with and how fast it answers.

    It describes the sandbox's first account; each ``[accounts.<name>]`` adds one with its own
    credentials and these keys' other values (``wxbot.sandbox.settings.sandbox_accounts``).

        The defaults of the last six keys are the platform's (``wxbot.sandbox.limits``).
    """

    host: str = Field("127.0.0.1", description="Address `wxbot sandbox` listens on.")
    port: int = Field(
        8090, ge=0, le=65535, description="Port `wxbot sandbox` listens on (0 = any free port)."
    )
    public_base_url: str = Field(
        "",
        description="URL clients reach the sandbox at, used in image and article URLs; "
        "empty = http://{host}:{port}.",
    )
    callback_url: str = Field(
        "",
        description="wxbot's follower-callback URL the sandbox POSTs completion events to; "
        "[accounts.NAME]'s go to it + /NAME; empty = no delivery.",
    )
    appid: str = Field(
        "",
        description="AppID the sandbox accepts; empty = [wechat] appid, or the built-in sandbox "
        "account when [wechat] has none.",
    )
    secret: SecretStr = Field(
        SecretStr(""), description="AppSecret the sandbox accepts; empty = as appid."
    )
    token: SecretStr = Field(
        SecretStr(""), description="Token the sandbox signs events with; empty = as appid."
    )
    encoding_aes_key: SecretStr = Field(
        SecretStr(""),
        description="EncodingAESKey the sandbox encrypts events with; empty = as appid.",
    )
    message_mode: MessageMode = Field(
        "", description="Event encryption: plaintext, compatible or safe; empty = as appid."
    )
    original_id: str = Field(
        "gh_0000sandbox", min_length=1, description="The account's original id (gh_...)."
    )
    account_name: str = Field(
        "wxbot 沙盒公众号", description="The account's name on its article pages."
    )
    token_ttl: float = Field(7200, ge=0, description="Seconds an access_token lives.")
    token_grace: float = Field(
        300,
        ge=0,
        description="Seconds the previous /cgi-bin/token token keeps working after a new one "
        "is fetched.",
    )
    publish_delay: float = Field(
        2.0, ge=0, description="Seconds until a freepublish job completes."
    )
    mass_send_delay: float = Field(2.0, ge=0, description="Seconds until a mass send completes.")
    mass_daily_quota: int = Field(
        1, ge=0, description="Successful mass sends allowed per day (1 for a subscription account)."
    )
    followers: int = Field(3, ge=0, description="Number of simulated followers.")
    mass_event_msg_id: Literal["own", "msg_id"] = Field(
        "own",
        description="What MASSSENDJOBFINISH's MsgID carries: own = an id of its own, as the "
        "documentation's example shows (it matches neither msg_id nor msg_data_id); msg_id = "
        "sendall's msg_id, what clients written against older samples expect.",
    )
    clientmsgid_retry_interval: float = Field(
        60,
        ge=0,
        description="Seconds before a send under the same clientmsgid may be tried again.",
    )
    callback_timeout: float = Field(
        5.0, ge=0, description="Seconds the sandbox waits for wxbot to answer an event."
    )
    callback_tries: int = Field(3, ge=1, description="Deliveries of one event before giving up.")
    callback_retry_interval: float = Field(
        1.0, ge=0, description="Seconds between deliveries of one event."
    )

    _aes_keys = field_validator("encoding_aes_key")(aes_key_check)
    _urls = field_validator("public_base_url", "callback_url")(url_check)

    @property
    def aes_key(self) -> str:
        """Return the EncodingAESKey events are encrypted with (empty in plaintext mode)."""
        return self.encoding_aes_key.get_secret_value()

    @property
    def mode(self) -> str:
        """Return the effective event mode: plaintext, compatible or safe."""
        return self.message_mode or ("safe" if self.aes_key else "plaintext")
