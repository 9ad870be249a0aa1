"""Incentive awards (政策兑现): officers load award program files, record profile facts (一企一档) and
decide claims; an organisation reads its policy matches (政策计算器 / 免申即享)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import Field, StrictInt

from suanli.api.deps import PageDep, PrincipalDep, SessionDep
from suanli.api.schemas import Body
from suanli.domain.vouchers.disclosure import to_csv, to_xlsx
from suanli.services import awards, profile

router = APIRouter(prefix="/api/v1", tags=["awards"])
Key = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


class ItemIn(Body):
    text: str = Field(max_length=200_000)


class FactIn(Body):
    key: str = Field(max_length=100)
    value: str = Field(max_length=200)
    source: str = Field(max_length=500)
    as_of: date


class ApplicationIn(Body):
    organisation_id: StrictInt
    item: str = Field(max_length=63)
    year: StrictInt = Field(ge=2000, le=2100)
    basis: str = Field(min_length=1, max_length=190)
    evidence: list[str] = Field(default_factory=list, max_length=50)
    bases: dict[str, StrictInt] = Field(default_factory=dict)
    parties: dict[str, str] = Field(default_factory=dict)
    level: str | None = None


class ClaimIn(ApplicationIn):
    """A claim the bureau records and decides at once: an application plus the experts' amount."""

    reviewed_amount_fen: StrictInt | None = Field(default=None, ge=0, le=10**13)


@router.post("/award-items", status_code=201)
def load_item(body: ItemIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = awards.load_item(session, actor=principal, text=body.text)
    return {"code": row.code, "title": {"zh": row.title_zh, "en": row.title_en}, "family": row.family}


@router.get("/award-items")
def list_items(session: SessionDep, _principal: PrincipalDep) -> list[dict[str, Any]]:
    """The loaded award items with what each pays (fen), the evidence it needs and its budget left."""
    return awards.items_out(session)


@router.get("/organisations/{organisation_id}/profile-facts")
def list_facts(organisation_id: int, session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """An organisation's profile facts (一企一档) with their source and date (the bureau only)."""
    return [{"key": r.key, "value": r.value, "source": r.source, "as_of": r.as_of.isoformat(),
             "recorded_by": r.recorded_by}
            for r in profile.facts(session, actor=principal, organisation_id=organisation_id)]


@router.put("/organisations/{organisation_id}/profile-facts", status_code=200)
def record_fact(organisation_id: int, body: FactIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = profile.record_fact(session, actor=principal, organisation_id=organisation_id, key=body.key, value=body.value,
                              source=body.source, as_of=body.as_of)
    return {"key": row.key, "value": row.value, "source": row.source, "as_of": row.as_of.isoformat()}


class ReviewIn(Body):
    approve: bool
    reviewed_amount_fen: StrictInt | None = Field(default=None, ge=0, le=10**13)
    note: str = Field(default="", max_length=2000)


class FundIn(Body):
    amount_fen: StrictInt = Field(gt=0, le=10**13)


def _claim_out(session: SessionDep, row: Any, item: str | None = None) -> dict[str, Any]:
    return {"id": row.id, "item": item or awards.item_code_of(session, row), "organisation_id": row.organisation_id,
            "year": row.year, "status": row.status, "evidence": row.evidence, "decided_by": row.decided_by,
            "decided_at": row.created_at.isoformat(), "amount_fen": row.amount_fen, "place": row.place, "basis": row.basis,
            "parties": {k: v for k, v in row.parties.items() if not k.startswith("_")},
            "rules": [{"rule": r, "zh": zh, "en": en} for r, zh, en in row.rules],
            "payouts": awards.payouts_out(session, row.id)}


@router.post("/award-items/{code}/funding", status_code=201)
def fund_item(code: str, body: FundIn, session: SessionDep, principal: PrincipalDep, key: Key) -> dict[str, Any]:
    """The bureau pays (part of) the item's budget into the platform's bank account (`Idempotency-Key`)."""
    return {"transfer": awards.fund_item(session, actor=principal, item_code=code, amount_fen=body.amount_fen,
                                         idempotency_key=key)}


@router.post("/award-claims", status_code=201)
def decide_claim(body: ClaimIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """The officer's decision after review; the amounts are owed to the parties until the finance
    disbursement batch pays them."""
    row = awards.apply(session, actor=principal, organisation_id=body.organisation_id, item_code=body.item,
                       year=body.year, basis=body.basis, evidence=frozenset(body.evidence), bases=body.bases,
                       parties=body.parties, level=body.level, reviewed_amount_fen=body.reviewed_amount_fen)
    return _claim_out(session, row)


@router.post("/award-applications", status_code=201)
def submit_application(body: ApplicationIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """An organisation's administrator applies (申报) with the evidence the item lists; the item's rules
    are checked at once, the bureau reviews it (`POST /award-claims/{id}/review`)."""
    row = awards.submit(session, actor=principal, organisation_id=body.organisation_id, item_code=body.item,
                        year=body.year, basis=body.basis, evidence=frozenset(body.evidence), bases=body.bases,
                        parties=body.parties, level=body.level)
    return _claim_out(session, row, body.item)


@router.post("/award-claims/{claim_id}/review")
def review_application(claim_id: int, body: ReviewIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """The officer approves a submitted application (decided: the amounts owed) or refuses it with a reason."""
    row = awards.review(session, actor=principal, application_id=claim_id, approve=body.approve,
                        reviewed_amount_fen=body.reviewed_amount_fen, note=body.note)
    return _claim_out(session, row)


@router.get("/award-claims")
def list_claims(session: SessionDep, principal: PrincipalDep, page: PageDep,
                item: Annotated[str | None, Query(max_length=63)] = None,
                status: Annotated[str | None, Query(pattern="^(submitted|decided|refused)$")] = None,
                ) -> list[dict[str, Any]]:
    """Applications and decided claims, newest first (officers and finance: all; an organisation: those
    it is a party to)."""
    rows = awards.list_claims(session, principal=principal, item_code=item, status=status, offset=page.offset,
                              limit=page.limit)
    return [_claim_out(session, row, code) for row, code in rows]


@router.get("/award-claims/{claim_id}")
def get_claim(claim_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """A decided claim with its payouts (officers, finance and the parties only; anyone else: 404)."""
    return _claim_out(session, awards.get_claim(session, principal=principal, claim_id=claim_id))


@router.post("/organisations/{organisation_id}/policy-matches/{code}/confirm", status_code=201)
def confirm_match(organisation_id: int, code: str, session: SessionDep, principal: PrincipalDep,
                  year: Annotated[int, Query(ge=2000, le=2100)]) -> dict[str, Any]:
    """免申即享: the organisation's administrator confirms a no-application item it is eligible for."""
    return _claim_out(session, awards.confirm(session, actor=principal, organisation_id=organisation_id, item_code=code,
                                              year=year))


@router.get("/award-items/{code}/disclosure")
def disclosure(code: str, session: SessionDep, principal: PrincipalDep,
               format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json", publish: bool = False) -> Response:
    """The item's disclosure list (公示) in the voucher disclosure's columns; `publish=true` (officers)
    stores it and records its hash in the transparency log."""
    rows = awards.disclosure(session, item_code=code, actor=principal, publish=publish)
    if format == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="award-disclosure-{code}.csv"'})
    if format == "xlsx":
        return Response(to_xlsx(rows), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="award-disclosure-{code}.xlsx"'})
    return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json")


@router.get("/organisations/{organisation_id}/policy-matches")
def policy_matches(organisation_id: int, session: SessionDep, principal: PrincipalDep,
                   year: int = date.today().year) -> list[dict[str, Any]]:
    return awards.calculator(session, principal=principal, organisation_id=organisation_id, year=year)
