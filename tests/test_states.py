"""Each state machine's vocabulary: every state with what its predicates say about it."""

from __future__ import annotations

import pytest

from wxbot.states import DraftState, JobState, RunStatus, SendStatus, StepStatus, Vocabulary

J = JobState
# state: live, final, awaits_submission, awaits_outcome, counts_against_quota, can_reschedule
JOB_STATES = {
    J.SCHEDULED: (True, False, True, False, True, True),
    J.CLAIMED: (True, False, True, False, True, False),
    J.SUBMITTED: (True, False, False, True, True, False),
    J.SENT: (False, True, False, False, True, False),
    J.FAILED: (False, True, False, False, False, True),
    J.MISSED: (False, True, False, False, False, True),
    J.CANCELLED: (False, True, False, False, False, False),
}

S = SendStatus
# status: unanswered, may_have_reached, final, reached_followers, job_state
SEND_STATUSES = {
    S.SENDING: (True, True, False, False, None),
    S.UNCONFIRMED: (True, True, False, False, None),
    S.ACCEPTED: (False, True, False, False, None),
    S.REFUSED: (False, False, False, False, None),
    S.SUCCESS: (False, True, True, True, J.SENT),
    S.FAILED: (False, False, True, False, J.FAILED),
    S.DELETED: (False, False, True, True, J.SENT),
}

DRAFT_STATES = {  # state: in_box
    DraftState.LIVE: True,
    DraftState.SUBMITTING: False,
    DraftState.PUBLISHED: False,
    DraftState.MASS_SENT: False,
    DraftState.GONE: False,
}


@pytest.mark.parametrize(("state", "expected"), JOB_STATES.items())
def test_job_state_predicates(state: JobState, expected: tuple[bool, ...]) -> None:
    said = (
        state.is_live, state.is_final, state.awaits_submission, state.awaits_outcome,
        state.counts_against_quota, state.can_reschedule,
    )  # fmt: skip
    assert said == expected


@pytest.mark.parametrize(("status", "expected"), SEND_STATUSES.items())
def test_send_status_predicates(status: SendStatus, expected: tuple[object, ...]) -> None:
    said = (
        status.is_unanswered, status.may_have_reached, status.is_final,
        status.reached_followers, status.job_state,
    )  # fmt: skip
    assert said == expected


@pytest.mark.parametrize(("state", "in_box"), DRAFT_STATES.items())
def test_draft_state_predicates(state: DraftState, in_box: bool) -> None:
    assert state.in_box is in_box


@pytest.mark.parametrize(
    ("vocabulary", "table"),
    [
        (JobState, JOB_STATES),
        (SendStatus, SEND_STATUSES),
        (DraftState, DRAFT_STATES),
        (RunStatus, dict.fromkeys(RunStatus)),
        (StepStatus, dict.fromkeys(StepStatus)),
    ],
)
def test_every_state_is_in_its_table_and_stored_as_its_own_word(
    vocabulary: type[Vocabulary], table: dict[Vocabulary, object]
) -> None:
    assert list(table) == list(vocabulary)
    assert all(state == state.name.lower() for state in vocabulary)


def test_a_word_means_one_thing_across_the_job_and_its_send() -> None:
    # "sending" is the send's call under way; the job that makes the call is "claimed".
    assert "sending" in set(SendStatus) and "sending" not in set(JobState)
    assert "claimed" in set(JobState) and "claimed" not in set(SendStatus)


def test_where_selects_in_declaration_order() -> None:
    assert SendStatus.where(lambda s: s.may_have_reached) == (
        S.SENDING, S.UNCONFIRMED, S.ACCEPTED, S.SUCCESS,
    )  # fmt: skip
    assert JobState.where(lambda s: s.is_live) == (J.SCHEDULED, J.CLAIMED, J.SUBMITTED)
