"""The originality check (原创校验) of a mass send: the library of originals, and the verdict.

https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall
"微信会将开发者准备群发的文章，与公众平台原创库中的文章进行比较": an article matching an
original is a reprint. "当 send_ignore_reprint 参数设置为1时，若文章被判定为转载，且原创文允许
转载时，将继续进行群发操作。当 send_ignore_reprint 参数设置为0时，若文章被判定为转载，将停止
群发操作。" MASSSENDJOBFINISH then reports CheckState 1 (not a reprint, sent), 2 (a reprint,
sent) or 3 (a reprint, not sent), and Status err(30002) (the original forbids reprints) or
err(30003) (a reprint, and send_ignore_reprint is 0) — 事件推送群发结果 of
https://developers.weixin.qq.com/doc/service/guide/product/message/Batch_Sends.html
The platform compares content; the sandbox's library matches by title, a stand-in tests control.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: CheckState values of CopyrightCheckResult.
NOT_A_REPRINT = 1
REPRINT_SENT = 2
REPRINT_STOPPED = 3
#: MASSSENDJOBFINISH Status of a send the check stopped.
STATUS_REPRINT_FORBIDDEN = "err(30002)"
STATUS_REPRINT_NOT_WANTED = "err(30003)"


@dataclass(frozen=True)
class Original:
    """An article in the platform's original library (another account's)."""

    title: str
    url: str
    can_reprint: bool = True


@dataclass(frozen=True)
class Verdict:
    """What the check decided: the event's CopyrightCheckResult, and the Status if it stopped."""

    copyright_check: dict[str, Any]
    stopped_status: str | None = None


def judge(
    originals: Iterable[Original], articles: Sequence[dict[str, Any]], send_ignore_reprint: int
) -> Verdict:
    """Return the verdict on a send of ``articles`` with ``send_ignore_reprint`` (0 or 1)."""
    library = {o.title: o for o in originals}
    hits = [
        (idx, library[a.get("title", "")])
        for idx, a in enumerate(articles, start=1)
        if a.get("title", "") in library
    ]
    results = [
        {
            "ArticleIdx": idx,
            "UserDeclareState": 0,
            "AuditState": 2,
            "OriginalArticleUrl": original.url,
            "OriginalArticleType": 1,
            "CanReprint": int(original.can_reprint),
            "NeedReplaceContent": 1,
            "NeedShowReprintSource": 1,
        }
        for idx, original in hits
    ]
    stopped: str | None = None
    if any(not original.can_reprint for _, original in hits):
        stopped = STATUS_REPRINT_FORBIDDEN
    elif hits and send_ignore_reprint != 1:
        stopped = STATUS_REPRINT_NOT_WANTED
    state = NOT_A_REPRINT if not hits else (REPRINT_STOPPED if stopped else REPRINT_SENT)
    check = {"Count": len(results), "ResultList": {"item": results}, "CheckState": state}
    return Verdict(check, stopped)
