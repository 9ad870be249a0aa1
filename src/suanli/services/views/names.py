"""The names a person reads for the federation's codes: each center's Chinese and English name and
each pool's accelerator model, keyed by the slugs jobs, quotes and placements carry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.domain.organisations import Principal
from suanli.services import federation


@dataclass(frozen=True)
class Directory:
    centers: dict[str, tuple[str, str]]          # slug -> (zh, en)
    simulated: frozenset[str]                    # slugs of simulated centers
    models: dict[tuple[str, str], str]           # (center slug, pool slug) -> accelerator model


def directory(session: Session, *, principal: Principal | None = None) -> Directory:
    """The federation is public to every reader (the marketplace shows it without sign-in)."""
    centers = federation.list_centers(session)
    return Directory({c.name: (c.name_zh, c.name_en or c.name_zh) for c in centers},
                     frozenset(c.name for c in centers if c.backend_kind == "simulated"),
                     {(c.name, p.name): p.model for c in centers for p in c.pools})
