"""Scheduled mass sends that happen exactly once: the rules, the claim, the worker loop.

WeChat's API cannot schedule, so wxbot keeps jobs in its database and a worker sends each at
its time. Plain functions over the runtime: no Flask, no WeChat client of their own.
"""

from ..states import JobState
from .checks import COUNTED_SENDS
from .model import DayQuota, Job, JobNotFound, ScheduleRefused, StepReport
from .policy import SchedulePolicy
from .rules import (
    QUOTA_JOB_STATES,
    cancel_job,
    day_quota,
    get_job,
    issue_jobs,
    job_history,
    list_jobs,
    parse_send_time,
    quota_span,
    read_day_quota,
    reschedule_job,
    schedule_send,
    send_now,
)
from .runner import STEPS, Checkpoint, run_due_jobs, worker_name
from .worker import run_worker, seconds_until_next, start_worker_thread

__all__ = [
    "COUNTED_SENDS",
    "QUOTA_JOB_STATES",
    "STEPS",
    "Checkpoint",
    "DayQuota",
    "Job",
    "JobNotFound",
    "JobState",
    "SchedulePolicy",
    "ScheduleRefused",
    "StepReport",
    "cancel_job",
    "day_quota",
    "get_job",
    "issue_jobs",
    "job_history",
    "list_jobs",
    "parse_send_time",
    "quota_span",
    "read_day_quota",
    "reschedule_job",
    "run_due_jobs",
    "run_worker",
    "schedule_send",
    "send_now",
    "seconds_until_next",
    "start_worker_thread",
    "worker_name",
]
