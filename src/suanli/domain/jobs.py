"""Jobs (作业): what a user asks to run and the legal moves of its life cycle.

    queued -> dispatched -> running -> succeeded | failed | timed_out
       |          |            |
       +----------+------------+--> cancelling -> cancelled
    any active state -> unknown (backend unreachable) -> back, or -> lost

Only the transitions in `TRANSITIONS` exist; everything else is an `IllegalTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from suanli.domain.errors import IllegalTransition, InvalidInput
from suanli.domain.resources import ResourceRequest


class JobState(StrEnum):
    QUEUED = "queued"
    DISPATCHED = "dispatched"  # handed to the center's scheduler, not yet running there
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # the backend could not be asked; retried with backoff
    LOST = "lost"  # the backend has no record of it any more

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.TIMED_OUT, JobState.CANCELLED, JobState.LOST})
ACTIVE_STATES = frozenset(JobState) - FINAL_STATES
ENDINGS = {JobState.SUCCEEDED, JobState.FAILED, JobState.TIMED_OUT, JobState.CANCELLED, JobState.LOST}

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.DISPATCHED, JobState.CANCELLED, JobState.FAILED}),
    JobState.DISPATCHED: frozenset({JobState.RUNNING, JobState.CANCELLING, JobState.UNKNOWN} | ENDINGS),
    JobState.RUNNING: frozenset({JobState.CANCELLING, JobState.UNKNOWN} | ENDINGS),
    JobState.CANCELLING: frozenset({JobState.CANCELLED, JobState.UNKNOWN} | ENDINGS),
    JobState.UNKNOWN: frozenset({JobState.DISPATCHED, JobState.RUNNING, JobState.CANCELLING} | ENDINGS),
}


def transition(current: JobState, target: JobState) -> JobState:
    """The new state if the move is legal; a 409 naming both states if not."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"a job cannot go from {current.value} to {target.value}",
                                current=current.value, requested=target.value)
    return target


def cancel_target(current: JobState) -> JobState:
    """Cancelling a queued job ends it at once; one the backend holds must be cancelled there first."""
    if current == JobState.QUEUED:
        return transition(current, JobState.CANCELLED)
    return transition(current, JobState.CANCELLING)


MAX_COMMAND_BYTES = 16_384
MAX_TIME_LIMIT_S = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    command: str
    resources: ResourceRequest
    time_limit_s: int
    center: str | None = None  # None: the platform chooses
    pool: str | None = None
    # What the broker should weigh for an auto job: prefer, deadline, max_price_fen, allowed_regions, ...
    preferences: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.command.strip():
            raise InvalidInput("command must not be empty")
        if len(self.command.encode()) > MAX_COMMAND_BYTES:
            raise InvalidInput(f"command longer than {MAX_COMMAND_BYTES} bytes")
        if "\x00" in self.command:
            raise InvalidInput("command must not contain NUL bytes")
        if not 1 <= self.time_limit_s <= MAX_TIME_LIMIT_S:
            raise InvalidInput(f"time_limit_s must be between 1 and {MAX_TIME_LIMIT_S}")
        if not 1 <= len(self.name) <= 128:
            raise InvalidInput("name must have 1 to 128 characters")
