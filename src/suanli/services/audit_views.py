"""The transparency log as each reader may see it: the operator and supervisors read every event, an
organisation only its own; an event of another organisation is "not found", like one that does not
exist. The API, the web audit page and any other edge read the log through these functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.audit import AuditEvent
from suanli.db.repositories import audit as repo
from suanli.domain.audit.errors import EventNotFound
from suanli.domain.audit.signing import Signer
from suanli.domain.organisations import Principal
from suanli.services.audit import catch_up, receipt_for_outbox

MAX_SEQ = 2**62


def visible_events(session: Session, *, principal: Principal, offset: int = 0, limit: int = 50,
                   kind: str | None = None, after: int | None = None) -> Sequence[AuditEvent]:
    """Events in log order from after the cursor `after` (a seq), pending ones sequenced first."""
    catch_up(session)
    only = None if principal.sees_all_tenants else principal.organisation_id
    return repo.list_events(session, offset=offset, limit=limit, organisation_id=only, kind=kind, after=after)


def visible_event(session: Session, *, principal: Principal, seq: int) -> AuditEvent:
    catch_up(session)
    row = repo.get_event(session, seq) if 0 <= seq < MAX_SEQ else None
    if row is None or not (principal.sees_all_tenants or row.organisation_id == principal.organisation_id):
        raise EventNotFound(f"no audit event with seq {seq} visible to you")
    return row


def visible_receipt_by_outbox(session: Session, *, principal: Principal, outbox_id: int, wait_s: float,
                              signer: Signer) -> dict[str, Any]:
    """The receipt of an event known by its outbox id (what a write answers before it is sequenced)."""
    if not 0 < outbox_id < MAX_SEQ:
        raise EventNotFound(f"no audit event with outbox id {outbox_id}")
    return receipt_for_outbox(session, outbox_id=outbox_id, wait_s=wait_s, signer=signer,
                              visible=lambda row: principal.sees_all_tenants
                              or row.organisation_id == principal.organisation_id)
