"""Ranked awards (e.g. the first ten large models to pass national registration): the places go to the
claimants first by a verifiable date from their profile (the registration notice's date), ties broken
by the earlier application, so anyone can recompute the list from the published facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RankedApplicant:
    application_id: int
    organisation: str
    ordered_on: date  # the fact the item orders by


def winners(applicants: Sequence[RankedApplicant], places: int) -> list[RankedApplicant]:
    """The first `places` applicants by (date, application id)."""
    return sorted(applicants, key=lambda a: (a.ordered_on, a.application_id))[:places]
