"""Organisations (算力需求方, 算力供给方, bureaus) and what a principal may see of them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.repositories import organisations as repo
from suanli.domain.errors import DuplicateName, Forbidden, InvalidInput, NotFound
from suanli.domain.organisations import OrganisationFacts, OrganisationType, Principal, Role


def create_organisation(
    session: Session,
    *,
    name: str,
    name_zh: str,
    type: OrganisationType,
    city: str,
    sectors: Sequence[str] = (),
    sme: bool = False,
    incubator: str | None = None,
    affiliated_centers: Sequence[str] = (),
    demo: bool = False,
    name_en: str | None = None,
) -> OrganisationRow:
    if not name.strip() or len(name) > 200 or not name_zh.strip() or len(name_zh) > 200:
        raise InvalidInput("name and name_zh must have 1 to 200 characters")
    if name_en is not None and (not name_en.strip() or len(name_en) > 200):
        raise InvalidInput("name_en must have 1 to 200 characters", field="name_en")
    if type == OrganisationType.MAKER and not incubator:
        raise InvalidInput("a maker (创客) team must name its hosting incubator")
    if repo.organisation_by_name(session, name) is not None:
        raise DuplicateName(f"organisation {name!r} exists already")
    row = OrganisationRow(name=name, name_zh=name_zh, name_en=name_en, type=type.value, city=city, sectors=list(sectors), sme=sme,
                          incubator=incubator, affiliated_centers=list(affiliated_centers), demo=demo)
    session.add(row)
    session.flush()
    return row


def get_organisation(session: Session, *, principal: Principal, organisation_id: int) -> OrganisationRow:
    row = repo.get_organisation(session, organisation_id)
    # Another tenant's organisation is reported as missing, not forbidden: ids must not leak.
    if row is None or not principal.may_read_organisation(organisation_id):
        raise NotFound(f"organisation {organisation_id} not found")
    return row


def list_organisations(session: Session, *, principal: Principal, offset: int, limit: int) -> Sequence[OrganisationRow]:
    only = None if principal.sees_all_tenants else principal.organisation_id
    return repo.list_organisations(session, offset=offset, limit=limit, only_id=only)


def list_users(session: Session, *, principal: Principal, offset: int, limit: int) -> Sequence[UserRow]:
    if principal.role == Role.PLATFORM_OPERATOR:
        return repo.list_users(session, offset=offset, limit=limit)
    if principal.role == Role.ORG_ADMIN:
        return repo.list_users(session, offset=offset, limit=limit, organisation_id=principal.organisation_id)
    raise Forbidden("only platform operators and organisation admins list users")


def facts(row: OrganisationRow) -> OrganisationFacts:
    return OrganisationFacts(
        name=row.name,
        type=OrganisationType(row.type),
        city=row.city,
        sectors=frozenset(row.sectors),
        sme=row.sme,
        incubator=row.incubator,
        affiliated_providers=frozenset(row.affiliated_centers),
    )
