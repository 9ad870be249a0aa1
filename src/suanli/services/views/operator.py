"""Names of organisations for the operator's pages (centers' owners, users' organisations)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.db.models.organisations import OrganisationRow
from suanli.db.repositories import web as repo
from suanli.domain.organisations import Principal, Role
from suanli.services.views.common import require_role


def organisation_names(session: Session, *, principal: Principal, ids: Sequence[int]) -> dict[int, OrganisationRow]:
    require_role(principal, Role.PLATFORM_OPERATOR)
    return repo.organisation_names(session, ids)
