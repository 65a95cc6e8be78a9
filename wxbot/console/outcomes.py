"""What a console action that failed tells the editor: what went wrong, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import WxbotError
from ..publishing import AlreadySent, PublishError, PublishFailed
from ..rendering.compliance import ComplianceError
from ..scheduling import JobNotFound, ScheduleRefused
from ..wechat import MediaRejected, WeChatError, WeChatNetworkError
from ..wechat.errors import (
    INVALID_MEDIA_ID,
    MASS_SEND_QUOTA,
    SYSTEM_BUSY,
)

#: The next step for WeChat errcodes whose explanation does not already name one.
NEXT_STEPS: dict[int, str] = {
    SYSTEM_BUSY: "try again in a minute.",
    40003: "check the openid (it must follow this account), or preview to your WeChat ID.",
    INVALID_MEDIA_ID: "press the button again: wxbot makes the draft anew.",
    45002: "shorten the article (fewer sections), re-upload it and try again.",
    45003: "shorten the title on the issue page and try again.",
    45004: "shorten the digest on the issue page and try again.",
    45110: "shorten the author on the issue page and try again.",
    MASS_SEND_QUOTA: "schedule the send for tomorrow instead.",
    45166: "print addresses as text instead of links, re-upload the issue and try again.",
    53402: "try again; if WeChat still cannot crop it, re-upload the issue with another cover.",
}

#: The next step after a scheduling refusal, by its reason.
SCHEDULE_NEXT_STEPS: dict[str, str] = {
    "past": "pick a time ahead of now.",
    "too_soon": "pick a later time.",
    "noncompliant": "fix the problems listed, re-upload the issue and schedule again.",
    "quota": "pick another day, or cancel the other send of that day.",
    "duplicate": "cancel or reschedule the job already there.",
    "state": "schedule a new send if one is still needed.",
}

#: When nothing more precise is known.
DEFAULT_NEXT_STEP = "try again; the issue's history lists every WeChat call and its answer."


@dataclass(frozen=True)
class Failure:
    """Why an action failed, in plain words, and the next step."""

    what: str
    next_step: str

    def message(self, action: str) -> str:
        """Return the one message the editor reads: ``Publishing failed: … Next: …``."""
        return f"{action} failed: {self.what} Next: {self.next_step}"


def explain_failure(exc: WxbotError | ValueError) -> Failure:
    """Return what went wrong and what to do about it, for an error a domain function raised."""
    if isinstance(exc, WeChatError):
        what = f"WeChat said: {exc.explanation} (errcode {exc.errcode})."
        return Failure(what, NEXT_STEPS.get(exc.errcode, DEFAULT_NEXT_STEP))
    if isinstance(exc, WeChatNetworkError):
        return Failure(
            f"WeChat did not answer ({exc.detail}); the call may or may not have taken effect.",
            "press the button again: wxbot looks for what the call did and never publishes or "
            "sends twice.",
        )
    if isinstance(exc, ComplianceError):
        problems = "; ".join(str(p) for p in exc.problems)
        return Failure(
            f"WeChat would strip or refuse the article: {problems}.",
            "fix the issue's text (or its overrides on the issue page), then try again.",
        )
    if isinstance(exc, AlreadySent):
        return Failure(f"{exc}.", "nothing: the issue has gone (or may have gone) out already.")
    if isinstance(exc, PublishFailed):
        return Failure(
            f"{exc}.",
            "open the draft in WeChat's web console (草稿箱) to see why, fix the issue, and "
            "publish again.",
        )
    if isinstance(exc, PublishError):
        return Failure(f"{exc}.", "save the draft to WeChat first, then try again.")
    if isinstance(exc, ScheduleRefused):
        return Failure(f"{exc}.", SCHEDULE_NEXT_STEPS.get(exc.reason, DEFAULT_NEXT_STEP))
    if isinstance(exc, JobNotFound):
        return Failure(f"there is {exc}.", "reload the page: the job list may have changed.")
    if isinstance(exc, MediaRejected):
        return Failure(f"{exc}.", "replace the image, re-upload the issue and try again.")
    if isinstance(exc, ValueError):
        return Failure(f"{exc}.", "correct the form and send it again.")
    return Failure(f"{exc}.", DEFAULT_NEXT_STEP)
