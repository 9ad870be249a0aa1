import pytest

from suanli.domain.errors import IllegalTransition, InvalidInput
from suanli.domain.jobs import FINAL_STATES, TRANSITIONS, JobSpec, JobState, cancel_target, transition
from suanli.domain.resources import ResourceRequest


def test_a_queued_job_can_be_dispatched_and_then_run_to_success():
    state = transition(JobState.QUEUED, JobState.DISPATCHED)
    state = transition(state, JobState.RUNNING)
    assert transition(state, JobState.SUCCEEDED) == JobState.SUCCEEDED


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
@pytest.mark.parametrize("target", list(JobState))
def test_nothing_leaves_a_final_state(final, target):
    with pytest.raises(IllegalTransition):
        transition(final, target)


def test_a_queued_job_cannot_start_running_without_being_dispatched():
    with pytest.raises(IllegalTransition) as caught:
        transition(JobState.QUEUED, JobState.RUNNING)
    assert caught.value.status == 409
    assert caught.value.problem()["current"] == "queued"


def test_cancelling_a_queued_job_ends_it_at_once_but_a_running_one_goes_through_cancelling():
    assert cancel_target(JobState.QUEUED) == JobState.CANCELLED
    assert cancel_target(JobState.RUNNING) == JobState.CANCELLING
    with pytest.raises(IllegalTransition):
        cancel_target(JobState.SUCCEEDED)


def test_an_unknown_job_can_come_back_or_be_declared_lost():
    assert transition(JobState.UNKNOWN, JobState.RUNNING) == JobState.RUNNING
    assert transition(JobState.UNKNOWN, JobState.LOST) == JobState.LOST


def test_every_active_state_has_a_way_out():
    for state in set(JobState) - FINAL_STATES:
        assert TRANSITIONS[state] & FINAL_STATES


def test_a_job_spec_refuses_empty_oversized_or_nul_commands_and_silly_time_limits():
    request = ResourceRequest(devices=1)
    for command in ["", "   ", "x" * 20_000, "echo \x00"]:
        with pytest.raises(InvalidInput):
            JobSpec(name="j", command=command, resources=request, time_limit_s=60)
    for limit in [0, -1, 10**9]:
        with pytest.raises(InvalidInput):
            JobSpec(name="j", command="true", resources=request, time_limit_s=limit)
