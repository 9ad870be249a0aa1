"""Deciding award claims over the database. The domain decides from the profile and the prior awards;
the rows then carry the keys the database enforces under concurrency: (item, organisation, once key)
unique, (item, place) unique with place <= places, and one benefit row per basis. A second claim for the
same threshold therefore fails in the domain (409 naming the rule) or, when two race, at commit (409)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.awards import AwardApplicationRow, AwardBenefitRow, AwardItemRow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.repositories import organisations as org_repo
from suanli.domain.awards import (
    AwardClaim,
    AwardItem,
    AwardRuleViolation,
    PriorAward,
    decide,
    likely_award,
    parse_award_file,
)
from suanli.domain.errors import Conflict, Forbidden, NotFound
from suanli.domain.organisations import Principal, Role
from suanli.services.audit import record_event
from suanli.services.awards.voucher_adapter import voucher_benefits
from suanli.services.profile import profile_of

OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def load_item(session: Session, *, actor: Principal, text: str) -> AwardItemRow:
    if actor.role not in OFFICERS:
        raise Forbidden("only program officers load award program files")
    item = parse_award_file(text)
    row = session.scalar(select(AwardItemRow).where(AwardItemRow.code == item.code))
    if row is None:
        row = AwardItemRow(code=item.code)
        session.add(row)
    row.title_zh, row.title_en, row.family, row.text, row.loaded_by = (item.title_zh, item.title_en, item.family, text,
                                                                       actor.username)
    session.flush()
    record_event(session, kind="award.item_loaded", subject=f"award-item/{item.code}",
                 payload={"code": item.code, "source": item.source, "by": actor.username})
    return row


def _priors(session: Session, organisation: str, organisation_id: int, basis: str) -> list[PriorAward]:
    rows = session.execute(select(AwardApplicationRow, AwardItemRow)
                           .join(AwardItemRow, AwardItemRow.id == AwardApplicationRow.item_id)
                           .where((AwardApplicationRow.organisation_id == organisation_id)
                                  | (AwardApplicationRow.basis == basis))).all()
    names = {organisation_id: organisation}
    out = []
    for app, item in rows:
        name = names.get(app.organisation_id)
        if name is None:
            org = org_repo.get_organisation(session, app.organisation_id)
            name = names[app.organisation_id] = org.name if org else str(app.organisation_id)
        tiers = app.parties.get("_tiers") or [None]
        for tier in tiers:
            out.append(PriorAward(item.code, item.family, name, app.year, app.amount_fen if tier == tiers[0] else 0,
                                  app.basis, tier=tier))
    return out + voucher_benefits(session, organisation=organisation, organisation_id=organisation_id, basis=basis)


def apply(session: Session, *, actor: Principal, organisation_id: int, item_code: str, year: int, basis: str,
          evidence: frozenset[str], bases: Mapping[str, int] | None = None, parties: Mapping[str, str] | None = None,
          level: str | None = None, reviewed_amount_fen: int | None = None) -> AwardApplicationRow:
    """Decide one claim (the officer's decision after review): amounts, rules fired, place if ranked."""
    if actor.role not in OFFICERS:
        raise Forbidden("award claims are decided by program officers")
    row = session.scalar(select(AwardItemRow).where(AwardItemRow.code == item_code))
    if row is None:
        raise NotFound(f"award item {item_code} not found")
    item = parse_award_file(row.text)
    profile = profile_of(session, organisation_id)
    claim = AwardClaim(profile.organisation, year, basis, evidence, bases or {}, parties or {}, level, reviewed_amount_fen)
    decision = decide(item, claim, profile, _priors(session, profile.organisation, organisation_id, basis))
    place = _place(session, row.id, item) if item.ranked else None
    once_key = (",".join(decision.tiers) if decision.tiers else basis if item.kind == "schedule" else "once")
    application = AwardApplicationRow(
        item_id=row.id, organisation_id=organisation_id, year=year, basis=basis, once_key=once_key,
        amount_fen=decision.total_fen, rules=[list(r) for r in decision.rules], evidence=sorted(evidence),
        parties={**{p: [o, a] for p, (o, a) in decision.amounts.items()}, "_tiers": list(decision.tiers)},
        place=place, places=item.places, decided_by=actor.username)
    try:
        with session.begin_nested():  # a racing claim took the place, the once key or the basis: a 409
            session.add(application)
            session.flush()
            session.add(AwardBenefitRow(basis=basis, application_id=application.id))
            session.flush()
    except IntegrityError:
        raise Conflict(f"another claim on {item.code} was decided at the same time (place, threshold or basis); retry"
                       f" / {item.title_zh}同时有其他申请被核定，请重试", rule=f"{item.code}.concurrent") from None
    record_event(session, kind="award.decided", subject=f"award-application/{application.id}",
                 payload={"item": item.code, "amount_fen": decision.total_fen, "place": place, "basis": basis,
                          "rules": [r[0] for r in decision.rules], "by": actor.username},
                 organisation_id=organisation_id)
    return application


def _place(session: Session, item_id: int, item: AwardItem) -> int:
    """The next place; two racing claims compute the same one and the unique index refuses the second."""
    taken = session.scalar(select(func.count()).select_from(AwardApplicationRow)
                           .where(AwardApplicationRow.item_id == item_id, AwardApplicationRow.place.is_not(None))) or 0
    assert item.places is not None
    if taken >= item.places:
        raise AwardRuleViolation(f"all {item.places} places of {item.title_en} are taken / {item.title_zh}名额"
                                 f"（{item.places}个）已满", rule=f"{item.code}.places")
    return int(taken) + 1


def calculator(session: Session, *, principal: Principal, organisation_id: int, year: int) -> list[dict[str, object]]:
    """政策计算器 / 免申即享: every loaded item the organisation is likely eligible for, what and why."""
    if not principal.may_read_organisation(organisation_id):
        raise NotFound(f"organisation {organisation_id} not found")
    profile = profile_of(session, organisation_id)
    priors = _priors(session, profile.organisation, organisation_id, "")
    out: list[dict[str, object]] = []
    for row in session.scalars(select(AwardItemRow).order_by(AwardItemRow.code)):
        item = parse_award_file(row.text)
        found = likely_award(item, profile, year, priors)
        if found is not None:
            out.append({"item": item.code, "title_zh": item.title_zh, "title_en": item.title_en,
                        "amount_fen": found[0], "no_application": item.no_application,
                        "why": [{"rule": r, "zh": zh, "en": en} for r, zh, en in found[1]]})
    return out


def list_items(session: Session) -> list[AwardItem]:
    return [parse_award_file(r.text) for r in session.scalars(select(AwardItemRow).order_by(AwardItemRow.code))]


def list_decided(session: Session) -> list[tuple[AwardApplicationRow, str, str, str]]:
    """Decided claims, newest first, with the item's code and titles."""
    rows = session.execute(select(AwardApplicationRow, AwardItemRow.code, AwardItemRow.title_zh, AwardItemRow.title_en)
                           .join(AwardItemRow, AwardItemRow.id == AwardApplicationRow.item_id)
                           .order_by(AwardApplicationRow.id.desc()).limit(200)).all()
    return [(a, code, zh, en) for a, code, zh, en in rows]


def organisation_by_name(session: Session, name: str) -> int:
    """An organisation's id by its name or Chinese name (the officer's form types one)."""
    row = org_repo.organisation_by_name(session, name)
    if row is None:
        row = session.scalar(select(OrganisationRow).where(OrganisationRow.name_zh == name))
    if row is None:
        raise NotFound(f"organisation {name!r} not found / 未找到单位 {name}")
    return row.id
