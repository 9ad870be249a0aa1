"""The AI opportunity list (机会清单): the public board and search; batches the bureau prepares, imports,
reviews, publishes and exports; matching requests (对接); closing, evaluating and quoting items."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from suanli.api.deps import PageDep, PrincipalDep, SessionDep
from suanli.api.schemas import Body
from suanli.domain.opportunities import MatchOutcome, MatchStatus
from suanli.domain.opportunities.table import MAX_SHEET_BYTES
from suanli.services import accounts
from suanli.services import opportunities as service
from suanli.services.quotes import quote_body

router = APIRouter(prefix="/api/v1", tags=["opportunities"])


class OpportunityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    batch_id: int
    code: str
    kind: str
    track: str
    title: str
    issuer: str
    issuer_organisation_id: int | None
    region: str
    scenario: str
    description: str
    indicators: str
    budget_fen: int | None
    deadline: date | None
    contact_name: str
    contact_phone: str
    contact_email: str
    compute_devices: int | None
    compute_hours: float | None
    compute_models: list[str]
    status: str


class SearchOut(BaseModel):
    total: int
    items: list[OpportunityOut]


class BatchIn(Body):
    title: str = Field(min_length=1, max_length=200)


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    status: str
    prepared_by: str
    submitted_by: str | None
    reviewed_by: str | None
    review_note: str


class ReviewIn(Body):
    decision: Literal["publish", "return"]
    note: str = Field(default="", max_length=2000)


class MatchIn(Body):
    message: str = Field(default="", max_length=2000)


class AnswerIn(Body):
    status: Literal["accepted", "declined", "withdrawn"]
    note: str = Field(default="", max_length=2000)


class ConcludeIn(Body):
    outcome: MatchOutcome
    amount_fen: StrictInt | None = Field(default=None, ge=0, le=10**15)
    note: str = Field(default="", max_length=2000)


class MatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    opportunity_id: int
    requester_organisation_id: int
    message: str
    status: str
    outcome: str | None
    outcome_amount_fen: int | None


class EvaluationIn(Body):
    score: StrictInt = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=4000)


def _viewer(request: Request, session: SessionDep) -> Any:
    """The caller when a token is sent; the board itself is public."""
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get("suanli_token")
    return accounts.authenticate(session, token) if token and len(token) <= 200 else None


@router.get("/opportunities", response_model=SearchOut)
def search(session: SessionDep, page: PageDep, q: Annotated[str, Query(max_length=200)] = "",
           kind: str | None = None, track: str | None = None, status: str | None = None) -> SearchOut:
    found = service.search(session, query=q, kind=kind, track=track, status=status, offset=page.offset, limit=page.limit)
    return SearchOut(total=found.total, items=[OpportunityOut.model_validate(r) for r in found.items])


@router.get("/opportunities/{item_id}", response_model=OpportunityOut)
def get_item(item_id: int, request: Request, session: SessionDep) -> OpportunityOut:
    return OpportunityOut.model_validate(service.get_item(session, principal=_viewer(request, session), item_id=item_id))


@router.post("/opportunity-batches", response_model=BatchOut, status_code=201)
def create_batch(body: BatchIn, session: SessionDep, principal: PrincipalDep) -> BatchOut:
    return BatchOut.model_validate(service.create_batch(session, actor=principal, title=body.title))


@router.get("/opportunity-batches", response_model=list[BatchOut])
def list_batches(request: Request, session: SessionDep) -> list[BatchOut]:
    return [BatchOut.model_validate(r) for r in service.list_batches(session, principal=_viewer(request, session))]


@router.post("/opportunity-batches/{batch_id}/items", response_model=list[OpportunityOut], status_code=201)
async def import_items(batch_id: int, session: SessionDep, principal: PrincipalDep,
                       file: Annotated[UploadFile, File(description="the bureau's sheet, .xlsx or .csv")]) -> list[OpportunityOut]:
    data = await file.read(MAX_SHEET_BYTES + 1)  # one past the cap: the service refuses it with 413
    rows = service.import_items(session, actor=principal, batch_id=batch_id, data=data, filename=file.filename or "")
    return [OpportunityOut.model_validate(r) for r in rows]


@router.post("/opportunity-batches/{batch_id}/submit", response_model=BatchOut)
def submit_batch(batch_id: int, session: SessionDep, principal: PrincipalDep) -> BatchOut:
    return BatchOut.model_validate(service.submit_batch(session, actor=principal, batch_id=batch_id))


@router.post("/opportunity-batches/{batch_id}/review", response_model=BatchOut)
def review_batch(batch_id: int, body: ReviewIn, session: SessionDep, principal: PrincipalDep) -> BatchOut:
    row = service.review_batch(session, actor=principal, batch_id=batch_id, decision=body.decision, note=body.note)
    return BatchOut.model_validate(row)


@router.get("/opportunity-batches/{batch_id}/export")
def export_batch(batch_id: int, request: Request, session: SessionDep,
                 format: Literal["xlsx", "csv"] = "xlsx") -> Response:
    data = service.export_batch(session, principal=_viewer(request, session), batch_id=batch_id, fmt=format)
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if format == "xlsx"
             else "text/csv; charset=utf-8")
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="opportunities-{batch_id}.{format}"'})


@router.post("/opportunities/{item_id}/matches", response_model=MatchOut, status_code=201)
def request_match(item_id: int, body: MatchIn, session: SessionDep, principal: PrincipalDep) -> MatchOut:
    return MatchOut.model_validate(service.request_match(session, actor=principal, item_id=item_id, message=body.message))


@router.get("/opportunity-matches", response_model=list[MatchOut])
def list_matches(session: SessionDep, principal: PrincipalDep) -> list[MatchOut]:
    return [MatchOut.model_validate(r) for r in service.list_matches(session, principal=principal)]


@router.post("/opportunity-matches/{match_id}/answer", response_model=MatchOut)
def answer_match(match_id: int, body: AnswerIn, session: SessionDep, principal: PrincipalDep) -> MatchOut:
    row = service.answer_match(session, actor=principal, match_id=match_id, status=MatchStatus(body.status), note=body.note)
    return MatchOut.model_validate(row)


@router.post("/opportunity-matches/{match_id}/conclude", response_model=MatchOut)
def conclude_match(match_id: int, body: ConcludeIn, session: SessionDep, principal: PrincipalDep) -> MatchOut:
    row = service.conclude_match(session, actor=principal, match_id=match_id, outcome=body.outcome,
                                 amount_fen=body.amount_fen, note=body.note)
    return MatchOut.model_validate(row)


@router.get("/opportunity-matches/{match_id}/history")
def match_history(match_id: int, session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [{"status": e.status, "actor": e.actor, "note": e.note, "at": e.created_at.isoformat()}
            for e in service.match_history(session, principal=principal, match_id=match_id)]


@router.post("/opportunities/{item_id}/close", response_model=OpportunityOut)
def close_item(item_id: int, session: SessionDep, principal: PrincipalDep) -> OpportunityOut:
    return OpportunityOut.model_validate(service.close_item(session, actor=principal, item_id=item_id))


@router.post("/opportunities/{item_id}/evaluation", status_code=201)
def evaluate_item(item_id: int, body: EvaluationIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = service.evaluate_item(session, actor=principal, item_id=item_id, score=body.score, comment=body.comment)
    return {"opportunity_id": item_id, "score": row.score, "matches": row.matches, "deals": row.deals,
            "comment": row.comment, "evaluated_by": row.evaluated_by}


@router.post("/opportunities/{item_id}/quote")
def quote_item(item_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return quote_body(service.quote_item(session, principal=principal, item_id=item_id))
