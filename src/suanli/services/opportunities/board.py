"""The public board: search published items (Chinese-capable), read one, close it, evaluate it when
closed, and quote a compute-demand item with the broker in one step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.opportunities import OpportunityEvaluationRow, OpportunityRow
from suanli.db.repositories import opportunities as repo
from suanli.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from suanli.domain.opportunities import (
    BatchStatus,
    ItemKind,
    ItemStatus,
    MatchOutcome,
    MatchStatus,
    Track,
    query_terms,
)
from suanli.domain.organisations import Principal
from suanli.domain.placement import PlacementRequest, Quote
from suanli.services import quotes
from suanli.services.audit import record_event
from suanli.services.opportunities.batches import OFFICERS, require_officer


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: Sequence[OpportunityRow]


def search(session: Session, *, query: str = "", kind: str | None = None, track: str | None = None,
           status: str | None = None, offset: int = 0, limit: int = 50) -> SearchResult:
    if len(query) > 200:
        raise InvalidInput("a search has at most 200 characters")
    if kind and kind not in set(ItemKind):
        raise InvalidInput(f"kind is one of {', '.join(ItemKind)}")
    if track and track not in set(Track):
        raise InvalidInput(f"track is one of {', '.join(Track)}")
    if status and status not in set(ItemStatus):
        raise InvalidInput(f"status is one of {', '.join(ItemStatus)}")
    terms = query_terms(query)
    if query.strip() and not terms:
        return SearchResult(0, [])
    total, rows = repo.search_published(session, terms=terms, kind=kind or None, track=track or None,
                                        status=status or None, offset=offset, limit=limit)
    return SearchResult(total, rows)


def get_item(session: Session, *, principal: Principal | None, item_id: int) -> OpportunityRow:
    row = repo.get_item(session, item_id)
    if row is not None:
        batch = repo.get_batch(session, row.batch_id)
        public = batch is not None and batch.status == BatchStatus.PUBLISHED.value
        if public or (principal is not None and principal.role in OFFICERS):
            return row
    raise NotFound(f"opportunity {item_id} not found")


def close_item(session: Session, *, actor: Principal, item_id: int) -> OpportunityRow:
    require_officer(actor)
    row = get_item(session, principal=actor, item_id=item_id)
    if row.status == ItemStatus.CLOSED.value:
        raise IllegalTransition(f"opportunity {row.code} is closed already")
    row.status, row.closed_at = ItemStatus.CLOSED.value, utcnow()
    record_event(session, kind="opportunity.closed", subject=f"opportunity/{row.id}", payload={"by": actor.username})
    return row


def evaluate_item(session: Session, *, actor: Principal, item_id: int, score: int, comment: str = "") -> OpportunityEvaluationRow:
    """The bureau's evaluation of a closed item: its score (1-5) with the matching figures at closing."""
    require_officer(actor)
    row = get_item(session, principal=actor, item_id=item_id)
    if row.status != ItemStatus.CLOSED.value:
        raise IllegalTransition(f"opportunity {row.code} is still open: close it before evaluating it")
    if not 1 <= score <= 5:
        raise InvalidInput("score is 1 to 5")
    if repo.evaluation_of(session, item_id) is not None:
        raise Conflict(f"opportunity {row.code} is evaluated already")
    found = repo.matches(session, item_id=item_id)
    deals = sum(1 for m in found if m.status == MatchStatus.CONCLUDED.value and m.outcome != MatchOutcome.NO_DEAL.value)
    evaluation = OpportunityEvaluationRow(opportunity_id=item_id, score=score, comment=comment[:4000],
                                          matches=len(found), deals=deals, evaluated_by=actor.username)
    session.add(evaluation)
    session.flush()
    record_event(session, kind="opportunity.evaluated", subject=f"opportunity/{row.id}",
                 payload={"score": score, "matches": len(found), "deals": deals, "by": actor.username})
    return evaluation


def quote_item(session: Session, *, principal: Principal, item_id: int) -> Quote:
    """The broker's quote for a compute-demand item's stated need, paid by the principal's organisation."""
    row = get_item(session, principal=principal, item_id=item_id)
    if row.compute_devices is None or row.compute_hours is None:
        raise InvalidInput(f"opportunity {row.code} states no compute need (devices and hours) to quote")
    request = PlacementRequest(devices=row.compute_devices, hours=row.compute_hours,
                               models=frozenset(row.compute_models))
    return quotes.quote(session, principal=principal, request=request)


def summary(session: Session) -> dict[str, dict[str, int]]:
    """Published items per kind, per track."""
    out: dict[str, dict[str, int]] = {k.value: {t.value: 0 for t in Track} for k in ItemKind}
    for (kind, track), count in repo.counts_by(session).items():
        out.setdefault(kind, {})[track] = count
    return out
