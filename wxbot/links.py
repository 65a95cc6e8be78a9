"""Where a follower is sent to read an issue."""

from __future__ import annotations

from collections.abc import Iterable

from .runtime import Runtime
from .storage import issue_links


def issue_links_for(runtime: Runtime, issue_ids: Iterable[str]) -> dict[str, str]:
    """Return a link per issue: its WeChat article URL once published, else its archive page."""
    ids = list(issue_ids)
    with runtime.db.read() as conn:
        published = issue_links.article_urls(conn, ids)
    base = runtime.public_base_url()
    return {i: published.get(i) or f"{base}/issues/{i}" for i in ids}
