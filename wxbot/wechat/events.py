"""WeChat's job-completion events, as plain data the publishing records consume.

The callback parses them from XML (wechatpy parses neither PUBLISHJOBFINISH nor
MASSSENDJOBFINISH's ArticleUrlResult); publishing and the scheduler act on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ArticleUrl:
    """One article of a finished job and where followers read it."""

    index: int
    url: str


@dataclass(frozen=True)
class PublishJobFinish:
    """``PUBLISHJOBFINISH``: a freepublish/submit finished (status 0 = success)."""

    publish_id: str
    publish_status: int
    article_id: str = ""
    articles: tuple[ArticleUrl, ...] = ()
    fail_idx: tuple[int, ...] = ()
    create_time: int = 0


@dataclass(frozen=True)
class MassSendJobFinish:
    """``MASSSENDJOBFINISH``: a mass send finished; Status is "send success", "send fail"…"""

    msg_id: str
    status: str
    total_count: int = 0
    filter_count: int = 0
    sent_count: int = 0
    error_count: int = 0
    articles: tuple[ArticleUrl, ...] = field(default=())
    create_time: int = 0

    @property
    def succeeded(self) -> bool:
        """Return whether WeChat reports the send as a success."""
        return self.status == "send success"


JobEvent = PublishJobFinish | MassSendJobFinish
