"""Incentive awards (政策兑现): officers load award program files, record profile facts (一企一档) and
decide claims; an organisation reads its policy matches (政策计算器 / 免申即享)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from suanli.api.deps import PrincipalDep, SessionDep
from suanli.services import awards, profile

router = APIRouter(prefix="/api/v1", tags=["awards"])


class ItemIn(BaseModel):
    text: str = Field(max_length=200_000)


class FactIn(BaseModel):
    key: str = Field(max_length=100)
    value: str = Field(max_length=200)
    source: str = Field(max_length=500)
    as_of: date


class ClaimIn(BaseModel):
    organisation_id: int
    item: str = Field(max_length=63)
    year: int = Field(ge=2000, le=2100)
    basis: str = Field(min_length=1, max_length=190)
    evidence: list[str] = Field(default_factory=list, max_length=50)
    bases: dict[str, int] = Field(default_factory=dict)
    parties: dict[str, str] = Field(default_factory=dict)
    level: str | None = None
    reviewed_amount_fen: int | None = Field(default=None, ge=0, le=10**13)


@router.post("/award-items", status_code=201)
def load_item(body: ItemIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = awards.load_item(session, actor=principal, text=body.text)
    return {"code": row.code, "title": {"zh": row.title_zh, "en": row.title_en}, "family": row.family}


@router.put("/organisations/{organisation_id}/profile-facts", status_code=200)
def record_fact(organisation_id: int, body: FactIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = profile.record_fact(session, actor=principal, organisation_id=organisation_id, key=body.key, value=body.value,
                              source=body.source, as_of=body.as_of)
    return {"key": row.key, "value": row.value, "source": row.source, "as_of": row.as_of.isoformat()}


@router.post("/award-claims", status_code=201)
def decide_claim(body: ClaimIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = awards.apply(session, actor=principal, organisation_id=body.organisation_id, item_code=body.item,
                       year=body.year, basis=body.basis, evidence=frozenset(body.evidence), bases=body.bases,
                       parties=body.parties, level=body.level, reviewed_amount_fen=body.reviewed_amount_fen)
    return {"id": row.id, "amount_fen": row.amount_fen, "place": row.place,
            "parties": {k: v for k, v in row.parties.items() if not k.startswith("_")},
            "rules": [{"rule": r, "zh": zh, "en": en} for r, zh, en in row.rules]}


@router.get("/organisations/{organisation_id}/policy-matches")
def policy_matches(organisation_id: int, session: SessionDep, principal: PrincipalDep,
                   year: int = date.today().year) -> list[dict[str, Any]]:
    return awards.calculator(session, principal=principal, organisation_id=organisation_id, year=year)
