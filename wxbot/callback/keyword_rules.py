"""Editors' keyword rules: a reply (a text or an issue) for a keyword, matched exactly or contained.

Like the platform's own auto-reply rules, which WeChat switches off once a server is
configured. The rules live in the database (every worker answers by them); each worker
caches them until the rules version changes. Each account has its own rules: a rule answers
the followers of the account it was added for (``runtime.account``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..runtime import Runtime
from ..search.query import squeeze
from ..storage import followers, search_index
from ..storage import issues as issue_store
from ..storage.followers import KeywordRule

#: How a rule's keyword is matched.
MATCH_KINDS = ("exact", "contains")


def match_rule(rules: Sequence[KeywordRule], text: str) -> KeywordRule | None:
    """Return the rule answering ``text``: exact rules first, then contains rules, oldest first."""
    key = squeeze(text)
    if not key:
        return None
    for rule in rules:
        if rule.match == "exact" and squeeze(rule.keyword) == key:
            return rule
    for rule in rules:
        if rule.match == "contains" and squeeze(rule.keyword) in key:
            return rule
    return None


def list_rules(runtime: Runtime) -> list[KeywordRule]:
    """Return the keyword rules of the runtime's account, oldest first."""
    with runtime.db.read() as conn:
        return followers.list_rules(conn, runtime.account)


def add_rule(
    runtime: Runtime,
    keyword: str,
    reply: str = "",
    match: str = "exact",
    *,
    issue_id: str | None = None,
) -> int:
    """Add a rule for the runtime's account answering with a text or an issue; return its id.

    :raises ValueError: for an empty keyword, neither or both of a reply and an issue, an
        issue not in the archive, or an unknown match kind.
    """
    if match not in MATCH_KINDS:
        raise ValueError(f"match must be one of {', '.join(MATCH_KINDS)}")
    if not squeeze(keyword):
        raise ValueError("a rule needs a keyword")
    issue_id = (issue_id or "").strip() or None
    if not (reply.strip() or issue_id):
        raise ValueError("a rule needs a keyword and a reply (a text, or an issue)")
    if reply.strip() and issue_id:
        raise ValueError("a rule answers with a text or with an issue, not both")
    with runtime.db.begin_write() as conn:
        if issue_id is not None and not issue_store.current_hashes(conn, [issue_id]):
            raise ValueError(f"there is no issue {issue_id} in the archive")
        rule_id = followers.add_rule(
            conn, keyword.strip(), match, reply.strip(), runtime.now(), issue_id, runtime.account
        )
        search_index.bump(conn, "rules")
    return rule_id


def remove_rule(runtime: Runtime, rule_id: int) -> bool:
    """Delete a keyword rule of the runtime's account; return whether it existed."""
    with runtime.db.begin_write() as conn:
        removed = followers.remove_rule(conn, rule_id, runtime.account)
        if removed:
            search_index.bump(conn, "rules")
    return removed
