"""Failover (故障转移): when a center rejects a job or fails to start it, move to the next option.

Like SkyPilot's provisioner, the broker keeps the ranked options it quoted and a set of blocked pools
with the reason each was blocked; the next option is the best one not blocked. Reasons are kept so
the job's placement record says why it ended up where it did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar


class HasPool(Protocol):
    @property
    def pool_id(self) -> int: ...


Option = TypeVar("Option", bound=HasPool)


def next_option(ranked: Sequence[Option], blocked: Mapping[int, str]) -> Option | None:
    """The best-ranked option whose pool is not blocked; None when every option is blocked."""
    for option in ranked:
        if option.pool_id not in blocked:
            return option
    return None


def block(blocked: Mapping[int, str], pool_id: int, reason: str) -> dict[int, str]:
    """A new blocked set with `pool_id` added; the first reason recorded for a pool is kept."""
    out = dict(blocked)
    out.setdefault(pool_id, reason)
    return out
