"""Take an issue to WeChat: lint, render, upload, draft, then publish or mass-send it.

Plain domain functions over a :class:`~wxbot.runtime.Runtime` (no Flask): the CLI, the
scheduler and the follower callback share them. Every step is recorded, so a failure is
reported in plain words and a re-run resumes where the last one stopped.
"""

from .mass import (
    audience_of,
    default_clientmsgid,
    is_unanswered,
    mass_send_record,
    mass_send_status,
    mass_sends_by_clientmsgid,
    mass_sends_of,
    send_mass,
)
from .pipeline import (
    MODES,
    IssueStatus,
    issue_status,
    known_issue_status,
    publish_issue,
    read_issue_status,
)
from .prepare import default_preview_openids, prepare_issue
from .records import (
    AlreadySent,
    MassSendOutcome,
    MassSendStatus,
    PreparedDraft,
    Progress,
    PublishError,
    PublishFailed,
    PublishRecord,
)
from .results import (
    check_publish,
    is_pending,
    on_wechat_event,
    reconcile_mass_sends,
    sync_article_urls,
)

__all__ = [
    "MODES",
    "AlreadySent",
    "IssueStatus",
    "MassSendOutcome",
    "MassSendStatus",
    "PreparedDraft",
    "Progress",
    "PublishError",
    "PublishFailed",
    "PublishRecord",
    "audience_of",
    "check_publish",
    "default_clientmsgid",
    "default_preview_openids",
    "is_unanswered",
    "is_pending",
    "issue_status",
    "known_issue_status",
    "mass_send_record",
    "mass_send_status",
    "mass_sends_by_clientmsgid",
    "mass_sends_of",
    "on_wechat_event",
    "prepare_issue",
    "publish_issue",
    "read_issue_status",
    "reconcile_mass_sends",
    "send_mass",
    "sync_article_urls",
]
