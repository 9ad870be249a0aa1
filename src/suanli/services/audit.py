"""The transparency log (审计日志) as use cases: append an event in the caller's transaction, sign a
tree head (checkpoint), hand out receipts and consistency proofs, export the log for auditors.

Every state change touching money, vouchers (算力券), grants, reviews, program files, prices or
roles calls `record_event` inside the same transaction, so the change and its log entry commit or
roll back together. Like every service this only flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.repositories import audit as repo
from suanli.domain.audit.canonical import canonical_json, event_document
from suanli.domain.audit.merkle import append_to_frontier, fold, leaf_hash


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """What `record_event` hands back: the event's leaf index and the (unsigned) tree it joined.

    A full receipt with a signed head is `issue_receipt(session, seq=recorded.seq)`.
    """

    seq: int
    leaf_hash: bytes
    tree_size: int
    root_hash: bytes
    event: dict[str, Any]


def record_event(session: Session, *, kind: str, subject: str, payload: Mapping[str, Any],
                 organisation_id: int | None = None) -> RecordedEvent:
    """Append one canonical event to the log in the current transaction (O(log n) node writes)."""
    return record_events(session, [(kind, subject, payload, organisation_id)])[0]


def record_events(session: Session,
                  events: list[tuple[str, str, Mapping[str, Any], int | None]]) -> list[RecordedEvent]:
    """Append several events under one lock of the log (kind, subject, payload, organisation_id)."""
    session.flush()  # the caller's own pending changes go first, before we take the log lock
    size, frontier = repo.lock_state(session)
    now = utcnow()
    rows, nodes, recorded = [], [], []
    for kind, subject, payload, organisation_id in events:
        document = event_document(seq=size, kind=kind, subject=subject, organisation_id=organisation_id,
                                  payload=payload, recorded_at=now)
        data = canonical_json(document)
        leaf = leaf_hash(data)
        nodes.extend(append_to_frontier(frontier, size, leaf))
        rows.append({"seq": size, "kind": kind, "subject": subject, "organisation_id": organisation_id,
                     "canonical": data, "leaf_hash": leaf, "created_at": now})
        size += 1
        recorded.append(RecordedEvent(seq=size - 1, leaf_hash=leaf, tree_size=size, root_hash=fold(frontier),
                                      event=document))
    repo.insert_events(session, rows)
    repo.insert_nodes(session, nodes)
    repo.save_state(session, tree_size=size, frontier=frontier)
    return recorded
