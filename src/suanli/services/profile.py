"""The organisation profile (一企一档) as use cases: officers record facts with their source and date;
award rules and the policy calculator read them. Minimal (issue 17): no profile existed on main."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.awards import ProfileFactRow
from suanli.db.repositories import organisations as org_repo
from suanli.domain.errors import Forbidden, InvalidInput, NotFound
from suanli.domain.organisations import Principal, Role
from suanli.domain.profile import OrganisationProfile, ProfileFact, check_value
from suanli.services.audit import record_event

RECORDERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def record_fact(session: Session, *, actor: Principal, organisation_id: int, key: str, value: str, source: str,
                as_of: date) -> ProfileFactRow:
    if actor.role not in RECORDERS:
        raise Forbidden("the bureau records an organisation's profile facts")
    if org_repo.get_organisation(session, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} not found")
    if not key.strip() or len(key) > 100 or len(value) > 200 or not source.strip() or len(source) > 500:
        raise InvalidInput("a fact needs a key (≤100), a value (≤200) and its source (≤500) / 档案事项须有名称、数值和来源")
    value = check_value(key, value)
    row = session.scalar(select(ProfileFactRow).where(ProfileFactRow.organisation_id == organisation_id,
                                                      ProfileFactRow.key == key))
    if row is None:
        row = ProfileFactRow(organisation_id=organisation_id, key=key)
        session.add(row)
    row.value, row.source, row.as_of, row.recorded_by = value, source, as_of, actor.username
    session.flush()
    record_event(session, kind="profile.fact_recorded", subject=f"organisation/{organisation_id}",
                 payload={"key": key, "value": value, "source": source, "as_of": as_of.isoformat(), "by": actor.username},
                 organisation_id=organisation_id)
    return row


def profile_of(session: Session, organisation_id: int) -> OrganisationProfile:
    org = org_repo.get_organisation(session, organisation_id)
    if org is None:
        raise NotFound(f"organisation {organisation_id} not found")
    rows = session.scalars(select(ProfileFactRow).where(ProfileFactRow.organisation_id == organisation_id)).all()
    return OrganisationProfile(org.name, {r.key: ProfileFact(r.key, r.value, r.source, r.as_of) for r in rows})


def facts(session: Session, *, actor: Principal, organisation_id: int) -> list[ProfileFactRow]:
    """An organisation's recorded facts for the bureau's page (officers only), by key."""
    if actor.role not in RECORDERS:
        raise Forbidden("the bureau reads the profiles it records")
    if org_repo.get_organisation(session, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} not found")
    return list(session.scalars(select(ProfileFactRow).where(ProfileFactRow.organisation_id == organisation_id)
                                .order_by(ProfileFactRow.key)))
