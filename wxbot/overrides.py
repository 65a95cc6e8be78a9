"""Per-issue overrides editors set in the console: checked against WeChat's limits, kept apart.

Overrides live in their own table, so a re-ingest of the issue keeps them; :mod:`wxbot.storage`
loads them with the issue, and the one function that computes each field applies them
(:func:`wxbot.rendering.titles.article_title`, ``article_author``, ``cover_headline``,
``key_topics`` and :func:`wxbot.rendering.digest.article_digest`), so the preview, lint and
publishing all see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .archive import get_issue
from .config import Settings
from .errors import WxbotError
from .model import Issue, IssueOverrides
from .platform_limits import FIELD_MAX_CHARS, field_characters
from .rendering.digest import article_digest
from .rendering.titles import article_author, article_title, cover_headline, key_topics
from .runtime import Runtime
from .storage import issue_overrides as override_store

#: The cover headline's limit: two lines of the cover's largest type.
HEADLINE_MAX_CHARS = 24
#: Keywords kept (the cover prints two; the title takes the first that fits), and their length.
KEYWORDS_MAX = 5
KEYWORD_MAX_CHARS = 20

#: What separates keywords typed in one box: new lines, commas, 、 or ；.
_KEYWORD_SEPARATORS = re.compile(r"[\n,，、;；]+")


class OverrideRefused(WxbotError):
    """An override breaks a limit; ``field`` names it and the message says by how much."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def field_limits() -> dict[str, int]:
    """Return every override field's limit in characters (WeChat's, else the cover's)."""
    return {**FIELD_MAX_CHARS, "headline": HEADLINE_MAX_CHARS}


def parse_keywords(text: str) -> tuple[str, ...]:
    """Split keywords typed in one box (one a line, or separated by commas or 、)."""
    words = (w.strip() for w in _KEYWORD_SEPARATORS.split(text))
    return tuple(dict.fromkeys(w for w in words if w))


def check_overrides(overrides: IssueOverrides) -> None:
    """Check every override against its limit.

    :raises OverrideRefused: naming the first field that breaks one.
    """
    limits = field_limits()
    for name in ("title", "author", "digest", "headline"):
        value: str = getattr(overrides, name)
        count = field_characters(value.strip())
        if count > limits[name]:
            raise OverrideRefused(name, f"{count} characters; at most {limits[name]} are allowed")
    if len(overrides.keywords) > KEYWORDS_MAX:
        raise OverrideRefused(
            "keywords", f"{len(overrides.keywords)} given; at most {KEYWORDS_MAX} are kept"
        )
    for word in overrides.keywords:
        if field_characters(word) > KEYWORD_MAX_CHARS:
            raise OverrideRefused(
                "keywords", f"{word!r} is {field_characters(word)} characters; "
                f"at most {KEYWORD_MAX_CHARS} are allowed"
            )  # fmt: skip


def clean(
    *, title: str = "", digest: str = "", author: str = "", headline: str = "", keywords: str = ""
) -> IssueOverrides:
    """Return overrides from what an editor typed: trimmed, keywords split."""
    return IssueOverrides(
        title=title.strip(),
        digest=digest.strip(),
        author=author.strip(),
        headline=headline.strip(),
        keywords=parse_keywords(keywords),
    )


def get_overrides(runtime: Runtime, issue_id: str) -> IssueOverrides:
    """Return what editors set for an issue.

    :raises IssueNotFound: when no issue has that id.
    """
    return get_issue(runtime, issue_id).overrides


def set_overrides(
    runtime: Runtime, issue_id: str, overrides: IssueOverrides, editor: str
) -> IssueOverrides:
    """Keep ``overrides`` for an issue (empty fields fall back to what the issue gives).

    :raises IssueNotFound: when no issue has that id.
    :raises OverrideRefused: when a field breaks its limit; nothing is stored.
    """
    get_issue(runtime, issue_id)
    check_overrides(overrides)
    with runtime.db.begin_write() as conn:
        override_store.save_overrides(conn, issue_id, overrides, editor, runtime.now())
    return overrides


@dataclass(frozen=True)
class OverrideField:
    """One field of the overrides form: what the editor set, what applies without it, counts."""

    name: str
    label: str
    value: str  # the editor's override, "" when none
    fallback: str  # what the issue and settings give without it
    limit: int  # 0: no character limit (keywords)

    @property
    def count(self) -> int:
        """Return the characters of what applies, as lint and publishing count them."""
        return field_characters(self.value or self.fallback)

    @property
    def over(self) -> bool:
        """Return whether what applies is past its limit."""
        return bool(self.limit) and self.count > self.limit


def override_fields(issue: Issue, settings: Settings) -> list[OverrideField]:
    """Return the overrides form's fields for ``issue``, each with its fallback and limit."""
    plain = replace(issue, overrides=IssueOverrides())
    given = issue.overrides
    limits = field_limits()
    return [
        OverrideField(
            "title", "Article title", given.title, article_title(plain, settings), limits["title"]
        ),
        OverrideField("digest", "Digest", given.digest, article_digest(plain), limits["digest"]),
        OverrideField(
            "author", "Author", given.author, article_author(plain, settings), limits["author"]
        ),
        OverrideField(
            "headline",
            "Cover headline",
            given.headline,
            cover_headline(plain, settings),
            limits["headline"],
        ),
        OverrideField(
            "keywords",
            "Keywords (one a line)",
            "\n".join(given.keywords),
            "\n".join(key_topics(plain, settings)),
            0,
        ),  # fmt: skip
    ]
