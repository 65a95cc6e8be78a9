"""wxbot's own exceptions: what callers catch, whatever library raised underneath."""

from __future__ import annotations


class WxbotError(Exception):
    """Base of every error wxbot raises on purpose."""


class ConfigError(WxbotError):
    """The configuration is invalid; the message names the key."""


class IssueFormatError(WxbotError):
    """An input file is not a well-formed issue; carries ``FILE:LINE: what``."""

    def __init__(self, filename: str, line: int, message: str) -> None:
        super().__init__(f"{filename}:{line}: {message}")
        self.filename = filename
        self.line = line
        self.message = message


class IssueNotFound(WxbotError):
    """No issue with that id is in the archive."""

    def __init__(self, issue_id: str) -> None:
        super().__init__(f"no issue {issue_id!r} in the archive")
        self.issue_id = issue_id
