"""The states of what wxbot sends to WeChat: one vocabulary per state machine, one meaning per word.

A scheduled job (``send_jobs.state``) and the mass send it makes (``mass_sends.status``) are two
machines: the job points at its send by clientmsgid, and the send owns the outcome, the counts
and the article URL. Drafts (``wechat_drafts.state``) and the publishing history
(``publish_runs.status``, ``publish_steps.status``) have their own. Each is a ``StrEnum`` whose
values are what the database stores, with its predicates; storage queries use them too.
WeChat's own words (``message/mass/get``'s ``SENDING``…) are not these; :mod:`wxbot.wechat.limits`
holds them. This module imports nothing of wxbot, so storage and every domain package share it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Self


class Vocabulary(StrEnum):
    """The words of one state machine, each stored as its value."""

    @classmethod
    def where(cls, predicate: Callable[[Self], bool]) -> tuple[Self, ...]:
        """Return the states for which ``predicate`` holds, in declaration order."""
        return tuple(state for state in cls if predicate(state))


class JobState(Vocabulary):
    """Where a scheduled mass send (``send_jobs.state``) stands."""

    #: Waiting for its time; prepared ahead of it.
    SCHEDULED = "scheduled"
    #: Taken from the schedule for its sendall call: held by a worker until its lease ends, or
    #: waiting to retry the call with the same clientmsgid (the call may have reached WeChat).
    CLAIMED = "claimed"
    #: WeChat accepted the sendall (msg_id known); waiting for the send's outcome.
    SUBMITTED = "submitted"
    #: WeChat reports the send done.
    SENT = "sent"
    #: WeChat refused the send, or reports it failed.
    FAILED = "failed"
    #: Its time passed by more than ``max_delay`` before it could be sent; never sent late.
    MISSED = "missed"
    #: An editor cancelled it before its time.
    CANCELLED = "cancelled"

    @property
    def is_live(self) -> bool:
        """Return whether a worker still has to act on the job."""
        return self in (JobState.SCHEDULED, JobState.CLAIMED, JobState.SUBMITTED)

    @property
    def is_final(self) -> bool:
        """Return whether nothing more happens to the job (only an editor may reschedule it)."""
        return not self.is_live

    @property
    def awaits_submission(self) -> bool:
        """Return whether WeChat has yet to accept the job's send: its draft may be prepared."""
        return self in (JobState.SCHEDULED, JobState.CLAIMED)

    @property
    def awaits_outcome(self) -> bool:
        """Return whether WeChat accepted the send and has not said how it went."""
        return self is JobState.SUBMITTED

    @property
    def counts_against_quota(self) -> bool:
        """Return whether the job uses its day's mass-send quota (WeChat counts sends made)."""
        return self.is_live or self is JobState.SENT

    @property
    def can_reschedule(self) -> bool:
        """Return whether an editor may move the job to another time."""
        return self in (JobState.SCHEDULED, JobState.MISSED, JobState.FAILED)


class SendStatus(Vocabulary):
    """What became of one ``message/mass/sendall`` of an issue (``mass_sends.status``)."""

    #: The call is under way: recorded just before it is made.
    SENDING = "sending"
    #: The call got no answer (or WeChat said "too fast", 45066): it may have gone through.
    UNCONFIRMED = "unconfirmed"
    #: WeChat accepted the send (msg_id known); its outcome comes later.
    ACCEPTED = "accepted"
    #: WeChat answered the call with an errcode: nothing was sent.
    REFUSED = "refused"
    #: WeChat reports the send done.
    SUCCESS = "success"
    #: WeChat reports the send failed.
    FAILED = "failed"
    #: WeChat reports the send deleted by the account, after it went out.
    DELETED = "deleted"

    @property
    def is_unanswered(self) -> bool:
        """Return whether the call may have gone through unseen: repeat it, never make a new one."""
        return self in (SendStatus.SENDING, SendStatus.UNCONFIRMED)

    @property
    def may_have_reached(self) -> bool:
        """Return whether the issue went (or may have gone) to the audience.

        Such a send blocks any other send of the issue to that audience, and uses the day's
        mass-send quota.
        """
        return self.is_unanswered or self in (SendStatus.ACCEPTED, SendStatus.SUCCESS)

    @property
    def is_final(self) -> bool:
        """Return whether WeChat has finished the send."""
        return self in (SendStatus.SUCCESS, SendStatus.FAILED, SendStatus.DELETED)

    @property
    def reached_followers(self) -> bool:
        """Return whether WeChat delivered the send (a deleted one went out first)."""
        return self in (SendStatus.SUCCESS, SendStatus.DELETED)

    @property
    def job_state(self) -> JobState | None:
        """Return the state a job's send finishes it in; None while the send is not over."""
        if not self.is_final:
            return None
        return JobState.SENT if self.reached_followers else JobState.FAILED


class DraftState(Vocabulary):
    """Where an issue's draft (``wechat_drafts.state``) stands in WeChat's draft box."""

    #: In the draft box: it may be updated, previewed, published or sent.
    LIVE = "live"
    #: A freepublish/submit got no answer: it may have been published.
    SUBMITTING = "submitting"
    #: Published: WeChat consumed it.
    PUBLISHED = "published"
    #: Mass-sent, to every follower or to a tag: WeChat consumed it.
    MASS_SENT = "mass_sent"
    #: WeChat no longer has it (40007: deleted in the console, or consumed unseen).
    GONE = "gone"

    @property
    def in_box(self) -> bool:
        """Return whether the draft may be updated, previewed, published or sent."""
        return self is DraftState.LIVE


class RunStatus(Vocabulary):
    """How one run of the publishing pipeline (``publish_runs.status``) stands."""

    #: Under way (or its process died before it could say how it ended).
    RUNNING = "running"
    #: Over: what was asked was done.
    DONE = "done"
    #: Over for now: WeChat has not finished the job; an event or ``wxbot sync`` records it.
    WAITING = "waiting"
    #: Over: a step failed; its detail says why.
    FAILED = "failed"


class StepStatus(Vocabulary):
    """What one step of a publishing run (``publish_steps.status``) did."""

    #: It did its work.
    DONE = "done"
    #: It had nothing to do: done before, or not needed.
    SKIPPED = "skipped"
    #: It failed; its detail says why.
    FAILED = "failed"


class LateAnswerState(Vocabulary):
    """Where an answer sent by customer-service message (``late_answers.state``) stands."""

    #: Ready to send (now, or at ``next_try_at`` after a passing failure).
    PENDING = "pending"
    #: Claimed by a sender until its lease ends; a sender that died mid-call leaves it here.
    SENDING = "sending"
    #: WeChat accepted it.
    SENT = "sent"
    #: Never sent: refused (45015 out of the window, 45047 over the quota…), or given up.
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Return whether no sender acts on the answer any more."""
        return self in (LateAnswerState.SENT, LateAnswerState.FAILED)
