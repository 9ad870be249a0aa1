"""Queries for the opportunity list: batches, items, term search, matching requests, evaluations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from suanli.db.models.opportunities import (
    OpportunityBatchRow,
    OpportunityEvaluationRow,
    OpportunityMatchEventRow,
    OpportunityMatchRow,
    OpportunityRow,
    OpportunityTermRow,
)
from suanli.db.models.organisations import OrganisationRow


def get_batch(session: Session, batch_id: int) -> OpportunityBatchRow | None:
    return session.get(OpportunityBatchRow, batch_id)


def list_batches(session: Session) -> Sequence[OpportunityBatchRow]:
    return session.scalars(select(OpportunityBatchRow).order_by(OpportunityBatchRow.id.desc())).all()


def get_item(session: Session, item_id: int) -> OpportunityRow | None:
    return session.get(OpportunityRow, item_id)


def items_of_batch(session: Session, batch_id: int) -> Sequence[OpportunityRow]:
    return session.scalars(select(OpportunityRow).where(OpportunityRow.batch_id == batch_id)
                           .order_by(OpportunityRow.id)).all()


def existing_codes(session: Session, codes: Iterable[str]) -> set[str]:
    wanted = list(codes)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(select(OpportunityRow.code).where(OpportunityRow.code.in_(wanted[start:start + 500]))))
    return found


def organisation_ids_by_name_zh(session: Session, names: Iterable[str]) -> dict[str, int]:
    rows = session.execute(select(OrganisationRow.name_zh, OrganisationRow.id)
                           .where(OrganisationRow.name_zh.in_(list(set(names))))).all()
    return {name: oid for name, oid in rows}


def replace_terms(session: Session, item_id: int, terms: Iterable[str]) -> None:
    session.execute(delete(OpportunityTermRow).where(OpportunityTermRow.opportunity_id == item_id))
    rows = [{"opportunity_id": item_id, "term": t} for t in sorted(set(terms))]
    if rows:  # one executemany, not an ORM object per term (an item has a few hundred)
        session.execute(insert(OpportunityTermRow), rows)


def search_published(session: Session, *, terms: set[str], kind: str | None, track: str | None,
                     status: str | None, offset: int, limit: int) -> tuple[int, Sequence[OpportunityRow]]:
    """Published items holding every term (all items when no terms), newest batch first."""
    query = (select(OpportunityRow).join(OpportunityBatchRow, OpportunityBatchRow.id == OpportunityRow.batch_id)
             .where(OpportunityBatchRow.status == "published"))
    if terms:
        having = (select(OpportunityTermRow.opportunity_id).where(OpportunityTermRow.term.in_(sorted(terms)))
                  .group_by(OpportunityTermRow.opportunity_id)
                  .having(func.count(OpportunityTermRow.term) == len(terms)))
        query = query.where(OpportunityRow.id.in_(having))
    if kind:
        query = query.where(OpportunityRow.kind == kind)
    if track:
        query = query.where(OpportunityRow.track == track)
    if status:
        query = query.where(OpportunityRow.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(OpportunityRow.batch_id.desc(), OpportunityRow.id)
                           .offset(offset).limit(limit)).all()
    return total, rows


def get_match(session: Session, match_id: int) -> OpportunityMatchRow | None:
    return session.get(OpportunityMatchRow, match_id)


def match_of(session: Session, item_id: int, organisation_id: int) -> OpportunityMatchRow | None:
    return session.scalar(select(OpportunityMatchRow).where(OpportunityMatchRow.opportunity_id == item_id,
                                                            OpportunityMatchRow.requester_organisation_id == organisation_id))


def matches(session: Session, *, item_id: int | None = None, organisation_id: int | None = None) -> Sequence[OpportunityMatchRow]:
    """Matching requests of one item, or those an organisation made or received (as an item's issuer)."""
    query = select(OpportunityMatchRow).join(OpportunityRow, OpportunityRow.id == OpportunityMatchRow.opportunity_id)
    if item_id is not None:
        query = query.where(OpportunityMatchRow.opportunity_id == item_id)
    if organisation_id is not None:
        query = query.where((OpportunityMatchRow.requester_organisation_id == organisation_id)
                            | (OpportunityRow.issuer_organisation_id == organisation_id))
    return session.scalars(query.order_by(OpportunityMatchRow.id)).all()


def match_events(session: Session, match_id: int) -> Sequence[OpportunityMatchEventRow]:
    return session.scalars(select(OpportunityMatchEventRow).where(OpportunityMatchEventRow.match_id == match_id)
                           .order_by(OpportunityMatchEventRow.id)).all()


def evaluation_of(session: Session, item_id: int) -> OpportunityEvaluationRow | None:
    return session.scalar(select(OpportunityEvaluationRow).where(OpportunityEvaluationRow.opportunity_id == item_id))


def counts_by(session: Session) -> dict[tuple[str, str], int]:
    """Published items per (kind, track)."""
    rows = session.execute(select(OpportunityRow.kind, OpportunityRow.track, func.count())
                           .join(OpportunityBatchRow, OpportunityBatchRow.id == OpportunityRow.batch_id)
                           .where(OpportunityBatchRow.status == "published")
                           .group_by(OpportunityRow.kind, OpportunityRow.track)).all()
    return {(k, t): n for k, t, n in rows}
