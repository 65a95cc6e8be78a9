"""The only package that talks to the WeChat API (and the only one importing wechatpy).

One module per section of WeChat's docs: :mod:`.media`, :mod:`.drafts`, :mod:`.freepublish`,
:mod:`.mass_send`; :mod:`.client` holds the account's shared token and the retry rules, and
:mod:`.errors` turns every failure into :class:`WeChatError` or :class:`WeChatNetworkError`.
"""

from .client import WeChatApi, account_key
from .errors import MediaRejected, WeChatError, WeChatNetworkError, explain
from .token_store import TokenStore

__all__ = [
    "MediaRejected",
    "TokenStore",
    "WeChatApi",
    "WeChatError",
    "WeChatNetworkError",
    "account_key",
    "explain",
]
