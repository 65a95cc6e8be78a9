"""What publishing returns and records: its result types, its errors, and the run log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import WxbotError
from ..runtime import Runtime
from ..states import RunStatus, SendStatus, StepStatus
from ..storage import publish_runs
from ..storage.publish_runs import RunRow, StepRow
from ..wechat import WeChatError

logger = logging.getLogger(__name__)

#: Called with every step as it is recorded (the CLI prints a line per step).
Progress = Callable[[StepRow], None]


class PublishError(WxbotError):
    """Publishing cannot go on; the message says why and what to do."""


class AlreadySent(PublishError):
    """The issue already went (or may have gone) to that audience: it is never sent twice."""


class PublishFailed(PublishError):
    """WeChat finished a publish job without publishing the article."""


@dataclass(frozen=True)
class PreparedDraft:
    """An issue's draft as it now is in the draft box, and what preparing it took."""

    issue_id: str
    media_id: str
    version: int
    title: str
    #: added, updated, unchanged — or published/mass_sent when WeChat already consumed it
    action: str
    uploaded: int = 0
    reused: int = 0
    previews: tuple[str, ...] = ()
    content_sha256: str = field(default="", repr=False)


@dataclass(frozen=True)
class MassSendOutcome:
    """A mass send WeChat accepted; ``duplicate`` when an earlier call had already sent it."""

    issue_id: str
    clientmsgid: str
    msg_id: str
    audience: str
    tag_id: int | None
    duplicate: bool = False


#: ``message/mass/get``'s msg_status of a finished send → the send's status.
_OUTCOMES = {
    "SEND_SUCCESS": SendStatus.SUCCESS,
    "SEND_FAIL": SendStatus.FAILED,
    "DELETE": SendStatus.DELETED,
}


@dataclass(frozen=True)
class MassSendStatus:
    """A mass send's state per ``message/mass/get``: SEND_SUCCESS, SENDING, SEND_FAIL, DELETE."""

    msg_id: str
    status: str

    @property
    def finished(self) -> bool:
        """Return whether the send is over."""
        return self.outcome is not None

    @property
    def outcome(self) -> SendStatus | None:
        """Return the status of the send once it is over; None while WeChat is still sending."""
        return _OUTCOMES.get(self.status)


@dataclass(frozen=True)
class PublishRecord:
    """One run of ``wxbot publish``: how it ended, what WeChat gave back, its steps."""

    run_id: int
    issue_id: str
    mode: str
    status: RunStatus
    summary: str
    draft_media_id: str = ""
    publish_id: str = ""
    article_id: str = ""
    msg_id: str = ""
    article_url: str = ""
    steps: tuple[StepRow, ...] = ()
    #: The account it was published to (its name; ``default`` is ``[wechat]``).
    account: str = DEFAULT_ACCOUNT


class RunLog:
    """Record one run of the pipeline step by step, and pass each step to ``progress``."""

    def __init__(
        self, runtime: Runtime, issue_id: str, mode: str, progress: Progress | None
    ) -> None:
        self.runtime = runtime
        self.issue_id = issue_id
        self.mode = mode
        self.progress = progress
        with runtime.db.begin() as conn:
            self.id = publish_runs.start_run(
                conn, issue_id, mode, runtime.now(), account=runtime.account
            )

    def record(
        self,
        step: str,
        detail: str,
        status: StepStatus = StepStatus.DONE,
        errcode: int | None = None,
    ) -> None:
        """Record a step that is over."""
        now = self.runtime.now()
        with self.runtime.db.begin() as conn:
            publish_runs.add_step(conn, self.id, step, status, detail, now, errcode)
        logger.info("%s %s %s: %s — %s", self.mode, self.issue_id, step, status, detail)
        if self.progress is not None:
            self.progress(StepRow(step, status, detail, errcode, now))

    @contextmanager
    def step(self, name: str) -> Iterator[StepResult]:
        """Run a step: record it with the detail set on the result, or as failed and re-raise."""
        result = StepResult()
        try:
            yield result
        except WxbotError as exc:
            errcode = exc.errcode if isinstance(exc, WeChatError) else None
            self.record(name, str(exc), StepStatus.FAILED, errcode)
            raise
        self.record(name, result.detail, result.status)

    def finish(self, status: RunStatus, summary: str) -> None:
        """Record how the run ended: done, waiting or failed."""
        with self.runtime.db.begin() as conn:
            publish_runs.finish_run(conn, self.id, status, summary, self.runtime.now())

    def row(self) -> RunRow:
        """Return the run as recorded, with its steps."""
        with self.runtime.db.begin() as conn:
            runs = publish_runs.runs_of(conn, self.issue_id, account=self.runtime.account)
        return next(r for r in runs if r.id == self.id)


@dataclass
class StepResult:
    """What a step reports: one line of detail, and ``skipped`` when it had nothing to do."""

    detail: str = ""
    status: StepStatus = StepStatus.DONE

    def skip(self, detail: str) -> None:
        """Mark the step as skipped: done before, or not needed."""
        self.detail, self.status = detail, StepStatus.SKIPPED


@contextmanager
def run_log(
    runtime: Runtime, issue_id: str, mode: str, progress: Progress | None = None
) -> Iterator[RunLog]:
    """Open a run; mark it failed if the block raises (its summary is the error)."""
    run = RunLog(runtime, issue_id, mode, progress)
    try:
        yield run
    except BaseException as exc:
        run.finish(RunStatus.FAILED, str(exc) or type(exc).__name__)
        raise
