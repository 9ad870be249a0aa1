"""Errors of the broker: requests no pool can take, and constraints that contradict each other."""

from __future__ import annotations

from suanli.domain.errors import InvalidResourceRequest


class ConflictingConstraints(InvalidResourceRequest):
    """The request contradicts itself; `conflicts` names each pair of constraints at odds."""

    slug, title = "conflicting-constraints", "Conflicting constraints"


class NoFeasiblePlacement(InvalidResourceRequest):
    """No pool anywhere can take the request; the problem body lists the closest alternatives
    (`alternatives`) and how many pools each reason excluded (`excluded_by_reason`)."""

    slug, title = "no-feasible-placement", "No pool can run this request"
