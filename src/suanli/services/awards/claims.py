"""Deciding award claims over the database. The domain decides from the profile and the prior awards;
the rows then carry the keys the database enforces under concurrency: (item, organisation, once key)
unique, (item, place) unique with place <= places, and one benefit row per basis. A second claim for the
same threshold therefore fails in the domain (409 naming the rule) or, when two race, at commit (409)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.awards import AwardApplicationRow, AwardBenefitRow, AwardItemRow, AwardPayoutRow
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
from suanli.domain.awards.basis import check_related_parties, normalise_basis
from suanli.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from suanli.domain.organisations import Principal, Role
from suanli.services import benefits
from suanli.services.audit import record_event
from suanli.services.awards import payments
from suanli.services.awards.voucher_adapter import voucher_benefits
from suanli.services.profile import profile_of

OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
CONFIRMERS = (Role.ORG_ADMIN,)


def load_item(session: Session, *, actor: Principal, text: str) -> AwardItemRow:
    if actor.role not in OFFICERS:
        raise Forbidden("only program officers load award program files")
    item = parse_award_file(text)
    row = session.scalar(select(AwardItemRow).where(AwardItemRow.code == item.code))
    previous = parse_award_file(row.text) if row is not None else None
    if row is None:
        row = AwardItemRow(code=item.code)
        session.add(row)
    row.title_zh, row.title_en, row.family, row.text, row.loaded_by = (item.title_zh, item.title_en, item.family, text,
                                                                       actor.username)
    session.flush()
    record_event(session, kind="award.item_loaded", subject=f"award-item/{item.code}",
                 payload={"code": item.code, "source": item.source, "by": actor.username})
    payments.commit_budget(session, row, item, previous)
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
    """Decide one claim (the officer's decision after review): amounts, rules fired, place if ranked; the
    amounts are then owed to each party on the ledger until the finance batch pays them."""
    if actor.role not in OFFICERS:
        raise Forbidden("award claims are decided by program officers")
    return _decide(session, decided_by=actor.username, organisation_id=organisation_id, item_code=item_code, year=year,
                   basis=basis, evidence=evidence, bases=bases, parties=parties, level=level,
                   reviewed_amount_fen=reviewed_amount_fen)


def confirm(session: Session, *, actor: Principal, organisation_id: int, item_code: str, year: int) -> AwardApplicationRow:
    """免申即享: an eligible organisation only confirms a no-application item. Every fact that decides the
    amount is the bureau's profile fact (with its source and date); the evidence the item lists is the
    documents those facts were recorded from, so nothing the organisation types decides money."""
    if actor.organisation_id != organisation_id:  # another tenant's organisation: as if it did not exist
        raise NotFound(f"organisation {organisation_id} not found")
    if actor.role not in CONFIRMERS:
        raise Forbidden("an organisation's administrator confirms its policy matches")
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"year {year} is not a policy year / 年度 {year} 无效", field="year")
    row = payments.item_row(session, item_code)
    item = parse_award_file(row.text)
    if not item.no_application:
        raise AwardRuleViolation(f"{item.title_en} needs an application reviewed by the bureau / {item.title_zh}"
                                 "需提交申请并经审核", rule=f"{item.code}.no-application")
    basis = f"{item.code}:{organisation_id}:{year}"
    return _decide(session, decided_by=actor.username, organisation_id=organisation_id, item_code=item_code,
                   year=year, basis=basis, evidence=frozenset(e[0] for e in item.evidence), confirmed=True)


def _decide(session: Session, *, decided_by: str, organisation_id: int, item_code: str, year: int, basis: str,
            evidence: frozenset[str], bases: Mapping[str, int] | None = None, parties: Mapping[str, str] | None = None,
            level: str | None = None, reviewed_amount_fen: int | None = None,
            confirmed: bool = False) -> AwardApplicationRow:
    row = payments.item_row(session, item_code)
    item = parse_award_file(row.text)
    label, basis = basis.strip()[:190], normalise_basis(basis)  # the key is unique; the spelling is shown
    benefits.lock_basis(session, basis)  # a voucher claim on the same bill waits for this decision
    profile = profile_of(session, organisation_id)
    claim = AwardClaim(profile.organisation, year, basis, evidence, bases or {}, parties or {}, level, reviewed_amount_fen)
    decision = decide(item, claim, profile, _priors(session, profile.organisation, organisation_id, basis))
    party_ids = {party: organisation_id if org == profile.organisation else organisation_by_name(session, org)
                 for party, (org, _fen) in decision.amounts.items()}
    rules = list(decision.rules)
    if len(item.parties) > 1 and item.related_party == "refused":
        check_related_parties(item.code, (item.title_zh, item.title_en),
                              {party: profile_of(session, oid) for party, oid in party_ids.items()})
        rules.append((f"{item.code}.related-party", "双方不存在关联关系（依据企业档案）",
                      "the parties are not related (from the profiles)"))
    if confirmed:
        rules.append((f"{item.code}.no-application", "免申即享：依据主管部门记录的企业档案核定，单位确认",
                      "no application: decided from the bureau's profile facts, confirmed by the organisation"))
    place = _place(session, row.id, item) if item.ranked else None
    once_key = (",".join(decision.tiers) if decision.tiers else basis if item.kind == "schedule" else "once")
    application = AwardApplicationRow(
        item_id=row.id, organisation_id=organisation_id, year=year, basis=basis, once_key=once_key,
        amount_fen=decision.total_fen, rules=[list(r) for r in rules], evidence=sorted(evidence),
        parties={**{p: [o, a] for p, (o, a) in decision.amounts.items()}, "_tiers": list(decision.tiers),
                 "_basis": label},
        place=place, places=item.places, decided_by=decided_by)
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
                          "rules": [r[0] for r in rules], "by": decided_by, "confirmed": confirmed},
                 organisation_id=organisation_id)
    payments.owe(session, application, item,
                 {party: (party_ids[party], fen) for party, (_org, fen) in decision.amounts.items()})
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
    return _likely(session, organisation_id, year)


def _likely(session: Session, organisation_id: int, year: int) -> list[dict[str, object]]:
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


def get_claim(session: Session, *, principal: Principal, claim_id: int) -> AwardApplicationRow:
    """A decided claim: the bureau's officers and finance see every one; an organisation only those it is a
    party to (anyone else: 404, as if it did not exist)."""
    row = session.get(AwardApplicationRow, claim_id)
    if row is None:
        raise NotFound(f"award claim {claim_id} not found")
    if principal.role in (*OFFICERS, Role.FINANCE_OFFICER):
        return row
    parties = {p.organisation_id for p in payments.payouts_of(session, row.id)} | {row.organisation_id}
    if principal.organisation_id not in parties:
        raise NotFound(f"award claim {claim_id} not found")
    return row


def payouts_out(session: Session, application_id: int) -> list[dict[str, object]]:
    return [{"id": p.id, "party": p.party, "organisation_id": p.organisation_id, "amount_fen": int(p.amount_fen),
             "status": p.status, "batch_id": p.batch_id, "owed_transfer": p.transfer_id}
            for p in payments.payouts_of(session, application_id)]


def home_matches(session: Session, *, principal: Principal, organisation_id: int,
                 today: date | None = None) -> list[dict[str, object]]:
    """免申即享 on the home page: the calculator over every year the profile holds facts for (and last
    year), newest first, each item once, with the year it would be claimed for."""
    if not principal.may_read_organisation(organisation_id):
        raise NotFound(f"organisation {organisation_id} not found")
    return likely_matches(session, organisation_id=organisation_id, today=today)


def likely_matches(session: Session, *, organisation_id: int, today: date | None = None) -> list[dict[str, object]]:
    """What `home_matches` shows, for the notifier (a system reader: no principal, so never an edge's)."""
    profile = profile_of(session, organisation_id)
    last_year = (today or date.today()).year - 1
    years = {last_year} | {int(k.rsplit(":", 1)[1]) for k in profile.facts if k.rsplit(":", 1)[-1].isdigit()}
    seen: set[object] = set()
    out = []
    for year in sorted(years, reverse=True):
        for match in _likely(session, organisation_id, year):
            if match["item"] not in seen:
                seen.add(match["item"])
                out.append({**match, "year": year})
    return out


def my_awards(session: Session, *, principal: Principal, organisation_id: int) -> list[dict[str, object]]:
    """The awards an organisation is a party to, newest first: its own amount, owed or paid, and why."""
    if not principal.may_read_organisation(organisation_id):
        raise NotFound(f"organisation {organisation_id} not found")
    query = (select(AwardPayoutRow, AwardApplicationRow, AwardItemRow)
             .join(AwardApplicationRow, AwardApplicationRow.id == AwardPayoutRow.application_id)
             .join(AwardItemRow, AwardItemRow.id == AwardApplicationRow.item_id)
             .where(AwardPayoutRow.organisation_id == organisation_id).order_by(AwardPayoutRow.id.desc()).limit(100))
    return [{"item": item.code, "title_zh": item.title_zh, "title_en": item.title_en, "year": app.year,
             "party": payments.party_name(payout.party), "amount_fen": int(payout.amount_fen), "status": payout.status,
             "why": [{"rule": r, "zh": zh, "en": en} for r, zh, en in app.rules]}
            for payout, app, item in session.execute(query).all()]
