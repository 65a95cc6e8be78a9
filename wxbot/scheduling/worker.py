"""The worker loop: run the due steps, then wait until the next job needs one."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from ..runtime import Runtime
from ..states import JobState
from ..stats.collection import DailyCollection
from ..storage import heartbeats
from ..storage import jobs as job_store
from .model import StepReport
from .runner import Checkpoint, run_due_jobs, worker_name

logger = logging.getLogger(__name__)

#: The shortest wait between steps, so a clock that stands still cannot spin the loop.
MIN_WAIT = 0.01


def run_worker(
    runtime: Runtime,
    *,
    stop_event: threading.Event,
    worker: str | None = None,
    checkpoint: Checkpoint | None = None,
    on_report: Callable[[StepReport], None] | None = None,
) -> None:
    """Run due jobs until ``stop_event`` is set, waiting at most ``poll_interval`` between steps.

    A failing step (the database away, a bug) is logged and tried again on the next round.
    """
    worker = worker or worker_name()
    interval = runtime.settings.schedule.poll_interval
    logger.info("scheduler %s started (looking every %gs)", worker, interval)
    statistics = DailyCollection(runtime)
    while not stop_event.is_set():
        wait = interval
        try:
            beat(runtime, worker)
            for report in run_due_jobs(runtime, worker=worker, checkpoint=checkpoint):
                if on_report is not None:
                    on_report(report)
            until = seconds_until_next(runtime)
            if until is not None:
                wait = min(interval, max(until, MIN_WAIT))
        except Exception:
            logger.exception("scheduler step failed; trying again in %gs", interval)
        try:  # after the sends, and never in their way
            statistics.run_if_due()
        except Exception:
            logger.exception("reading statistics not collected; trying again in an hour")
        stop_event.wait(wait)
    logger.info("scheduler %s stopped", worker)


def beat(runtime: Runtime, worker: str) -> None:
    """Record that ``worker`` is alive now: the console's health line reads it."""
    with runtime.db.begin() as conn:
        heartbeats.beat(conn, worker, runtime.now())


def last_heartbeat(runtime: Runtime) -> heartbeats.Heartbeat | None:
    """Return the latest heartbeat of any scheduler, or None when none ever ran."""
    with runtime.db.begin() as conn:
        return heartbeats.latest_beat(conn)


def seconds_until_next(runtime: Runtime) -> float | None:
    """Return the seconds until some job next needs a step, or None when none is waiting."""
    policy = runtime.settings.schedule
    now = runtime.now()
    with runtime.db.begin() as conn:
        rows = job_store.list_jobs(conn, states=JobState.where(lambda s: s.awaits_submission))
    moments: list[dt.datetime] = []
    for row in rows:
        if row.state is JobState.CLAIMED:
            moments += [row.lease_until] if row.lease_until else []
            continue
        moments.append(row.send_at)
        if row.prepared_revision is None:
            moments.append(row.send_at - policy.prepare_ahead)
        if row.prepare_after is not None:
            moments.append(row.prepare_after)
    future = [m for m in moments if m > now]
    return (min(future) - now).total_seconds() if future else None


def start_worker_thread(runtime: Runtime) -> tuple[threading.Thread, threading.Event]:
    """Start the worker loop in a daemon thread; set the returned event to stop it."""
    stop_event = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(runtime,),
        kwargs={"stop_event": stop_event},
        name="wxbot-scheduler",
        daemon=True,
    )
    thread.start()
    return thread, stop_event
