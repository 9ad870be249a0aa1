"""Publication batches: an officer prepares one (items typed in or imported from the bureau's sheet),
submits it, and another officer publishes it or sends it back with a note (four eyes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.opportunities import OpportunityBatchRow, OpportunityRow
from suanli.db.repositories import opportunities as repo
from suanli.domain.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from suanli.domain.opportunities import BatchStatus, ComputeNeed, ItemKind, OpportunityDraft, Track, terms
from suanli.domain.opportunities.items import DuplicateOpportunity
from suanli.domain.opportunities.table import read_table, to_csv, to_xlsx
from suanli.domain.organisations import Principal, Role
from suanli.services.audit import record_event

OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def require_officer(actor: Principal) -> None:
    if actor.role not in OFFICERS:
        raise Forbidden("only the bureau's program officers manage the opportunity list")


def create_batch(session: Session, *, actor: Principal, title: str) -> OpportunityBatchRow:
    require_officer(actor)
    if not title.strip() or len(title) > 200:
        raise InvalidInput("a batch title has 1 to 200 characters")
    row = OpportunityBatchRow(title=title.strip(), issuer_organisation_id=actor.organisation_id,
                              status=BatchStatus.DRAFT.value, prepared_by=actor.username, review_note="")
    session.add(row)
    session.flush()
    record_event(session, kind="opportunity.batch_created", subject=f"opportunity-batch/{row.id}",
                 payload={"title": row.title, "by": actor.username})
    return row


def get_batch(session: Session, *, principal: Principal | None, batch_id: int) -> OpportunityBatchRow:
    row = repo.get_batch(session, batch_id)
    visible = row is not None and (row.status == BatchStatus.PUBLISHED.value
                                   or (principal is not None and principal.role in OFFICERS))
    if row is None or not visible:
        raise NotFound(f"opportunity batch {batch_id} not found")
    return row


def list_batches(session: Session, *, principal: Principal | None) -> Sequence[OpportunityBatchRow]:
    rows = repo.list_batches(session)
    if principal is not None and principal.role in OFFICERS:
        return rows
    return [r for r in rows if r.status == BatchStatus.PUBLISHED.value]


def _draft_batch(session: Session, actor: Principal, batch_id: int) -> OpportunityBatchRow:
    require_officer(actor)
    row = get_batch(session, principal=actor, batch_id=batch_id)
    if row.status != BatchStatus.DRAFT.value:
        raise IllegalTransition(f"batch {batch_id} is {row.status}: items are added to a draft batch only")
    return row


def add_item(session: Session, *, actor: Principal, batch_id: int, draft: OpportunityDraft) -> OpportunityRow:
    return import_drafts(session, actor=actor, batch_id=batch_id, drafts=[draft])[0]


def import_items(session: Session, *, actor: Principal, batch_id: int, data: bytes, filename: str) -> list[OpportunityRow]:
    """Every row of the sheet, or nothing: the first bad or repeated row raises naming it."""
    _draft_batch(session, actor, batch_id)
    drafts = read_table(data, filename)
    return import_drafts(session, actor=actor, batch_id=batch_id, drafts=drafts, first_row=2)


def import_drafts(session: Session, *, actor: Principal, batch_id: int, drafts: Sequence[OpportunityDraft],
                  first_row: int | None = None) -> list[OpportunityRow]:
    _draft_batch(session, actor, batch_id)
    taken = repo.existing_codes(session, (d.code for d in drafts))
    for number, draft in enumerate(drafts):
        if draft.code in taken:
            where = f"row {number + first_row}: " if first_row is not None else ""
            raise DuplicateOpportunity(f"{where}清单编号 {draft.code} is already on the list", code=draft.code,
                                       **({"row": number + first_row} if first_row is not None else {}))
    issuers = repo.organisation_ids_by_name_zh(session, (d.issuer for d in drafts))
    rows = []
    for draft in drafts:
        need = draft.compute
        row = OpportunityRow(
            batch_id=batch_id, code=draft.code, kind=draft.kind.value, track=draft.track.value, title=draft.title,
            issuer=draft.issuer, issuer_organisation_id=issuers.get(draft.issuer), region=draft.region,
            scenario=draft.scenario, description=draft.description, indicators=draft.indicators,
            budget_fen=draft.budget_fen, deadline=draft.deadline, contact_name=draft.contact_name,
            contact_phone=draft.contact_phone, contact_email=draft.contact_email,
            compute_devices=need.devices if need else None, compute_hours=need.hours if need else None,
            compute_models=list(need.models) if need else [], status="open")
        session.add(row)
        rows.append(row)
    session.flush()
    for row, draft in zip(rows, drafts, strict=True):
        repo.replace_terms(session, row.id, terms(draft.searchable_text()))
    session.flush()
    record_event(session, kind="opportunity.items_added", subject=f"opportunity-batch/{batch_id}",
                 payload={"codes": [d.code for d in drafts], "by": actor.username})
    return rows


def submit_batch(session: Session, *, actor: Principal, batch_id: int) -> OpportunityBatchRow:
    row = _draft_batch(session, actor, batch_id)
    if not repo.items_of_batch(session, batch_id):
        raise InvalidInput(f"batch {batch_id} has no items to submit")
    row.status, row.submitted_by = BatchStatus.IN_REVIEW.value, actor.username
    record_event(session, kind="opportunity.batch_submitted", subject=f"opportunity-batch/{row.id}",
                 payload={"by": actor.username})
    return row


def review_batch(session: Session, *, actor: Principal, batch_id: int, decision: Literal["publish", "return"],
                 note: str = "") -> OpportunityBatchRow:
    require_officer(actor)
    row = get_batch(session, principal=actor, batch_id=batch_id)
    if row.status != BatchStatus.IN_REVIEW.value:
        raise IllegalTransition(f"batch {batch_id} is {row.status}, not in review")
    if actor.username in (row.prepared_by, row.submitted_by):
        raise Forbidden("another officer reviews a batch than the one who prepared or submitted it (four eyes)")
    if decision == "publish":
        row.status, row.published_at = BatchStatus.PUBLISHED.value, utcnow()
    elif decision == "return":
        if not note.strip():
            raise InvalidInput("returning a batch needs a note saying what to change")
        row.status = BatchStatus.DRAFT.value
    else:
        raise InvalidInput("decision is publish or return")
    row.reviewed_by, row.review_note = actor.username, note[:2000]
    record_event(session, kind=f"opportunity.batch_{'published' if decision == 'publish' else 'returned'}",
                 subject=f"opportunity-batch/{row.id}", payload={"by": actor.username, "note": row.review_note})
    return row


def draft_of(row: OpportunityRow) -> OpportunityDraft:
    compute = (ComputeNeed(devices=row.compute_devices, hours=row.compute_hours, models=tuple(row.compute_models))
               if row.compute_devices is not None and row.compute_hours is not None else None)
    return OpportunityDraft(
        code=row.code, kind=ItemKind(row.kind), track=Track(row.track), title=row.title, issuer=row.issuer,
        region=row.region, scenario=row.scenario, description=row.description, indicators=row.indicators,
        budget_fen=row.budget_fen, deadline=row.deadline, contact_name=row.contact_name,
        contact_phone=row.contact_phone, contact_email=row.contact_email, compute=compute)


def batch_items(session: Session, *, principal: Principal | None, batch_id: int) -> Sequence[OpportunityRow]:
    get_batch(session, principal=principal, batch_id=batch_id)
    return repo.items_of_batch(session, batch_id)


def export_batch(session: Session, *, principal: Principal | None, batch_id: int, fmt: str) -> bytes:
    get_batch(session, principal=principal, batch_id=batch_id)
    drafts = [draft_of(r) for r in repo.items_of_batch(session, batch_id)]
    if fmt == "xlsx":
        return to_xlsx(drafts)
    if fmt == "csv":
        return to_csv(drafts)
    raise InvalidInput("format is xlsx or csv")
