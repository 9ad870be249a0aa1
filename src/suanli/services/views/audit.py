"""The transparency log as a reader sees it: every event for the roles that see all tenants, an
organisation's own events otherwise; another organisation's event is a 404."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.db.models.audit import AuditEvent
from suanli.db.repositories import audit as repo
from suanli.domain.audit.errors import EventNotFound
from suanli.domain.organisations import Principal
from suanli.services.audit import catch_up


def list_events(session: Session, *, principal: Principal, offset: int, limit: int) -> Sequence[AuditEvent]:
    catch_up(session)
    only = None if principal.sees_all_tenants else principal.organisation_id
    return repo.list_events(session, offset=max(0, min(offset, 2**62)), limit=min(max(limit, 1), 500),
                            organisation_id=only)


def get_event(session: Session, *, principal: Principal, seq: int) -> AuditEvent:
    catch_up(session)
    row = repo.get_event(session, seq) if 0 <= seq < 2**62 else None
    if row is None or not (principal.sees_all_tenants or row.organisation_id == principal.organisation_id):
        raise EventNotFound(f"no audit event with seq {seq} visible to you")
    return row
