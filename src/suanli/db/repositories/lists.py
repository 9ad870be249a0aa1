"""Paged, searchable, sortable reads behind the web lists (jobs, applications, audit events,
invoices): each returns one page of rows and the total that matched (up to COUNT_CAP, past which the
list says "more than"), so a page never silently cuts a list. Callers pass the tenant scope; the
services decide it. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.orm import Session

from suanli.db.models.audit import AuditEvent
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import InvoiceRow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import VoucherApplicationRow


@dataclass(frozen=True)
class Window:
    """Which slice of the ordered rows: `sort` is a key of the list's SORTS, newest/largest first when
    `descending`."""

    sort: str
    descending: bool
    offset: int
    limit: int


def _escaped(words: str) -> str:
    """`words` with LIKE's own wildcards taken literally."""
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(words: str) -> str:
    """A LIKE pattern matching `words` anywhere."""
    return f"%{_escaped(words)}%"


def _prefix(words: str) -> str:
    """A LIKE pattern matching text that starts with `words` (an index can serve it)."""
    return f"{_escaped(words)}%"


# Where counting stops: past it a list says "more than 10,000" instead of counting a province's rows on
# every page view (at a year of a city's data the count was the slowest part of the page). Search and
# filters narrow a list below it; the API pages everything by cursor, and auditors export the whole log.
COUNT_CAP = 10_000


def _page(session: Session, query: Select[Any], order: Sequence[Any], window: Window) -> tuple[list[Any], int]:
    """The window's rows and how many matched, counted up to COUNT_CAP + 1 (more than the cap: cut there)."""
    counted = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(counted)) or 0)
    rows = session.scalars(query.order_by(*order).offset(window.offset).limit(window.limit)).all()
    return list(rows), total


def _order(column: Any, tiebreak: Any, descending: bool) -> list[Any]:
    return [column.desc(), tiebreak.desc()] if descending else [column.asc(), tiebreak.asc()]


JOB_SORTS = {"id": JobRow.id, "name": JobRow.name, "state": JobRow.state, "devices": JobRow.devices,
             "created": JobRow.created_at}


def jobs(session: Session, *, organisation_id: int | None, user_id: int | None, states: Sequence[str],
         search: str, window: Window) -> tuple[list[JobRow], int]:
    query = select(JobRow)
    if organisation_id is not None:
        query = query.where(JobRow.organisation_id == organisation_id)
    if user_id is not None:
        query = query.where(JobRow.user_id == user_id)
    if states:
        query = query.where(JobRow.state.in_(states))
    if search:
        matches = [JobRow.name.ilike(_like(search), escape="\\"), JobRow.command.ilike(_like(search), escape="\\")]
        if search.isdigit() and len(search) < 18:
            matches.append(JobRow.id == int(search))
        query = query.where(or_(*matches))
    return _page(session, query, _order(JOB_SORTS[window.sort], JobRow.id, window.descending), window)


APPLICATION_SORTS = {"priority": VoucherApplicationRow.priority, "id": VoucherApplicationRow.id,
                     "requested": VoucherApplicationRow.requested_fen, "created": VoucherApplicationRow.created_at}


def applications(session: Session, *, statuses: Sequence[str], program_id: int | None, organisation_id: int | None,
                 search: str, window: Window) -> tuple[list[VoucherApplicationRow], int]:
    query = select(VoucherApplicationRow)
    if statuses:
        query = query.where(VoucherApplicationRow.status.in_(statuses))
    if program_id is not None:
        query = query.where(VoucherApplicationRow.program_id == program_id)
    if organisation_id is not None:
        query = query.where(VoucherApplicationRow.organisation_id == organisation_id)
    if search:
        pattern = _like(search)
        applicant = (select(OrganisationRow.id).where(or_(OrganisationRow.name.ilike(pattern, escape="\\"),
                                                           OrganisationRow.name_zh.ilike(pattern, escape="\\"))))
        matches = [VoucherApplicationRow.project.ilike(pattern, escape="\\"),
                   VoucherApplicationRow.organisation_id.in_(applicant)]
        if search.isdigit() and len(search) < 18:
            matches.append(VoucherApplicationRow.id == int(search))
        query = query.where(or_(*matches))
    if window.sort == "priority":
        # The review order: priority sectors first, then first come first served.
        order = ([VoucherApplicationRow.priority.desc(), VoucherApplicationRow.id.asc()] if window.descending else
                 [VoucherApplicationRow.priority.asc(), VoucherApplicationRow.id.desc()])
    else:
        order = _order(APPLICATION_SORTS[window.sort], VoucherApplicationRow.id, window.descending)
    return _page(session, query, order, window)


AUDIT_SORTS = {"seq": AuditEvent.seq, "kind": AuditEvent.kind}


def audit_events(session: Session, *, organisation_id: int | None, kind_prefix: str, search: str,
                 window: Window, subjects: Sequence[str] = ()) -> tuple[list[AuditEvent], int]:
    query = select(AuditEvent)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    if kind_prefix:
        query = query.where(or_(AuditEvent.kind == kind_prefix, AuditEvent.kind.like(_prefix(kind_prefix + "."), escape="\\")))
    if subjects:
        query = query.where(AuditEvent.subject.in_(subjects))
    elif search:
        # An entry's number, or its subject exactly ("voucher_application:12"): an index serves both, where a
        # substring search read every entry of the log (7.7 s at 4.4 million). Not a prefix either: "job:12"
        # would match job:120…129999, and PostgreSQL, expecting them spread over the log, walks the log
        # backwards to find the newest (1.5 s when they are all old). Kinds have their own filter.
        matches = [AuditEvent.subject == search]
        if search.isdigit() and len(search) < 18:
            matches.append(AuditEvent.seq == int(search))
        query = query.where(or_(*matches))
    return _page(session, query, _order(AUDIT_SORTS[window.sort], AuditEvent.seq, window.descending), window)


# The kinds in the log, one index probe each (a "skip scan" over ix_audit_events_kind_seq): DISTINCT read
# every entry (1.4 s at 4.4 million), while the log holds a few dozen kinds.
_KINDS = text("""
    WITH RECURSIVE kinds(kind) AS (
        SELECT min(kind) FROM audit_events
        UNION ALL
        SELECT (SELECT min(kind) FROM audit_events WHERE kind > kinds.kind) FROM kinds WHERE kinds.kind IS NOT NULL
    )
    SELECT kind FROM kinds WHERE kind IS NOT NULL""")


def audit_kinds(session: Session, *, organisation_id: int | None) -> list[str]:
    if organisation_id is None:
        return list(session.scalars(_KINDS).all())
    # One organisation's entries are few and have their own index: DISTINCT over them is cheap.
    query = (select(AuditEvent.kind).distinct().where(AuditEvent.organisation_id == organisation_id)
             .order_by(AuditEvent.kind))
    return list(session.scalars(query).all())


INVOICE_SORTS = {"month": InvoiceRow.month, "number": InvoiceRow.number, "due": InvoiceRow.amount_due_fen,
                 "list": InvoiceRow.list_price_fen}


def invoices(session: Session, *, organisation_id: int | None, month: str, search: str,
             window: Window) -> tuple[list[InvoiceRow], int]:
    query = select(InvoiceRow)
    if organisation_id is not None:
        query = query.where(InvoiceRow.organisation_id == organisation_id)
    if month:
        query = query.where(InvoiceRow.month == month)
    if search:
        query = query.where(InvoiceRow.number.ilike(_like(search), escape="\\"))
    return _page(session, query, _order(INVOICE_SORTS[window.sort], InvoiceRow.id, window.descending), window)
