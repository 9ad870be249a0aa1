"""The web's lists (jobs, voucher applications, audit events, invoices) with search, filters, sorting
and page numbers: every list says how many rows matched in all (or "more than" past the count's cap,
with a hint to narrow it), so nothing is cut silently. Each function checks the reader's role and
builds the tenant scope into its query itself (the same scope as the API's list for the same collection)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from suanli.db.models.audit import AuditEvent
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import InvoiceRow
from suanli.db.models.vouchers import VoucherApplicationRow
from suanli.db.repositories import lists as repo
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.jobs import JobState
from suanli.domain.organisations import Principal, Role
from suanli.services.audit import catch_up
from suanli.services.views.common import require_role
from suanli.services.views.vouchers import QUEUE

T = TypeVar("T")
PER_PAGE = (10, 25, 50, 100)
MAX_SEARCH = 100
# The queue's "awaiting review" is two statuses; the others are one each ("" is every status).
APPLICATION_STATUSES = {"pending": ("submitted", "in_review"), "submitted": ("submitted",), "in_review": ("in_review",),
                        "needs_documents": ("needs_documents",),
                        "approved": ("approved",), "rejected": ("rejected",), "granted": ("granted",), "": ()}


@dataclass(frozen=True)
class ListQuery:
    """What the reader asked of a list: a search text, one sort key and direction, a page."""

    search: str = ""
    sort: str = ""
    descending: bool = True
    page: int = 1
    per_page: int = 25


@dataclass
class Page(Generic[T]):
    rows: Sequence[T]
    total: int
    page: int
    per_page: int
    sort: str
    descending: bool
    sorts: Sequence[str] = field(default_factory=tuple)
    more: bool = False  # more rows matched than `total` (the count stopped at the cap): narrow the list

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when nothing matched)."""
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _window(query: ListQuery, sorts: Sequence[str], default: str) -> repo.Window:
    sort = query.sort or default
    if sort not in sorts:
        raise InvalidInput(f"sort must be one of {', '.join(sorts)}", field="sort")
    if query.per_page not in PER_PAGE:
        raise InvalidInput(f"per_page must be one of {', '.join(map(str, PER_PAGE))}", field="per_page")
    if not 1 <= query.page <= 10**6:
        raise InvalidInput("page must be between 1 and 1000000", field="page", low=1, high=10**6)
    if len(query.search) > MAX_SEARCH:
        raise InvalidInput(f"the search text is at most {MAX_SEARCH} characters", field="q")
    return repo.Window(sort, query.descending, (query.page - 1) * query.per_page, query.per_page)


def _paged(fetch: Callable[[repo.Window], tuple[list[T], int]], query: ListQuery, sorts: Sequence[str],
           default: str) -> Page[T]:
    """One page; a page number past the end shows the last page (the total says how many there are),
    and past the count's cap the last page within it (deep offsets are as slow as counting)."""
    window = _window(query, sorts, default)
    page = min(query.page, -(-repo.COUNT_CAP // query.per_page))
    if page != query.page:
        window = _at_page(window, page)
    rows, total = fetch(window)
    if not rows and total and window.offset >= total:
        page = -(-total // query.per_page)
        window = _at_page(window, page)
        rows, total = fetch(window)
    more = total > repo.COUNT_CAP
    return Page(rows, min(total, repo.COUNT_CAP), page, query.per_page, window.sort, window.descending, tuple(sorts),
                more)


def _at_page(window: repo.Window, page: int) -> repo.Window:
    return repo.Window(window.sort, window.descending, (page - 1) * window.limit, window.limit)


def jobs(session: Session, *, principal: Principal, state: str, query: ListQuery) -> Page[JobRow]:
    """Jobs the reader may see: all for the roles that see every tenant, the organisation's for its
    admin, a member's own; providers read orders through their statements instead."""
    if state and state not in JobState.__members__.values():
        raise InvalidInput(f"unknown job state {state[:20]!r}", field="state")
    if principal.role == Role.PROVIDER_ADMIN:
        raise Forbidden("providers see orders through their statements, not users' jobs")
    organisation_id = None if principal.sees_all_tenants else principal.organisation_id
    user_id = principal.user_id if principal.role == Role.ORG_MEMBER else None
    search = query.search.strip()
    return _paged(lambda w: repo.jobs(session, organisation_id=organisation_id, user_id=user_id,
                                      states=[state] if state else [], search=search, window=w),
                  query, tuple(repo.JOB_SORTS), "id")


def applications(session: Session, *, principal: Principal, status: str, program_id: int | None,
                 query: ListQuery) -> Page[VoucherApplicationRow]:
    """The officers' queue: every organisation's applications (officers see all tenants)."""
    require_role(principal, *QUEUE)
    if status not in APPLICATION_STATUSES:
        raise InvalidInput(f"unknown application status {status[:20]!r}", field="status")
    search = query.search.strip()
    return _paged(lambda w: repo.applications(session, statuses=APPLICATION_STATUSES[status], program_id=program_id,
                                              organisation_id=None, search=search, window=w),
                  query, tuple(repo.APPLICATION_SORTS), "priority")


def audit_events(session: Session, *, principal: Principal, kind: str, query: ListQuery,
                 subjects: Sequence[str] = ()) -> Page[AuditEvent]:
    """The transparency log: every event for the roles that see all tenants, an organisation's own otherwise.
    The search is an entry's number or a subject exactly; `subjects` stand in for the search words when
    the edge read them as a subject's name ("申领 #12")."""
    catch_up(session)  # pending events are shown with their place in the log
    only = None if principal.sees_all_tenants else principal.organisation_id
    if len(kind) > 100:
        raise InvalidInput("unknown event kind", field="kind")
    search = query.search.strip()
    return _paged(lambda w: repo.audit_events(session, organisation_id=only, kind_prefix=kind, search=search,
                                              subjects=subjects, window=w),
                  query, tuple(repo.AUDIT_SORTS), "seq")


def audit_kinds(session: Session, *, principal: Principal) -> list[str]:
    return repo.audit_kinds(session, organisation_id=None if principal.sees_all_tenants else principal.organisation_id)


def invoices(session: Session, *, principal: Principal, month: str, query: ListQuery) -> Page[InvoiceRow]:
    """An organisation admin's own invoices."""
    require_role(principal, Role.ORG_ADMIN)
    if month and not (len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit()):
        raise InvalidInput("the month is written YYYY-MM", field="month")
    search = query.search.strip()
    return _paged(lambda w: repo.invoices(session, organisation_id=principal.organisation_id, month=month, search=search,
                                          window=w),
                  query, tuple(repo.INVOICE_SORTS), "month")
