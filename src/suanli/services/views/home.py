"""The home page each role lands on: the organisation, the person's display name and the counts of
the work waiting for them, each scoped to what the role may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from suanli.db.models.organisations import OrganisationRow
from suanli.db.repositories import organisations as org_repo
from suanli.db.repositories import web as repo
from suanli.domain.organisations import Principal, Role
from suanli.services import organisations


@dataclass(frozen=True)
class Task:
    """One line of a role's work list: what waits, how many, where to do it."""

    key: str        # a stable name the page turns into words (web/labels.py)
    count: int
    href: str


@dataclass
class Home:
    organisation: OrganisationRow
    display_name: str
    figures: dict[str, dict[str, int]] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)


EXPIRY_WARNING_DAYS = 30


def work_list(session: Session, *, principal: Principal, today: date | None = None) -> list[Task]:
    """What waits for this person now, with counts, scoped to what the role may see."""
    today = today or date.today()
    role, org = principal.role, principal.organisation_id
    tasks: list[Task] = []
    if role in (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR):
        counts = repo.application_counts(session)
        tasks.append(Task("applications_to_review", counts.get("submitted", 0) + counts.get("in_review", 0),
                          "/applications"))
        tasks.append(Task("applications_awaiting_documents", counts.get("needs_documents", 0),
                          "/applications?status=needs_documents"))
    if role in (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR):
        tasks.append(Task("award_applications_to_review", repo.award_applications_submitted(session),
                          "/awards/applications"))
    if role in (Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR):
        batches = repo.batch_counts(session)
        tasks.append(Task("batches_to_approve", batches.get("draft", 0), "/batches"))
        tasks.append(Task("batches_to_pay", batches.get("approved", 0), "/batches"))
    if role == Role.PLATFORM_OPERATOR:
        tasks.append(Task("centers_unavailable", repo.unhealthy_centers(session), "/operator/centers"))
        jobs = repo.job_counts(session, organisation_id=None)
        tasks.append(Task("jobs_running", jobs.get("running", 0) + jobs.get("dispatched", 0), "/jobs?state=running"))
    if role in (Role.ORG_ADMIN, Role.ORG_MEMBER):
        jobs = repo.job_counts(session, organisation_id=org,
                               user_id=principal.user_id if role == Role.ORG_MEMBER else None)
        tasks.append(Task("jobs_running", jobs.get("running", 0) + jobs.get("dispatched", 0), "/jobs?state=running"))
        tasks.append(Task("jobs_queued", jobs.get("queued", 0), "/jobs?state=queued"))
    if role in (Role.ORG_ADMIN, Role.PROVIDER_ADMIN):
        tasks.append(Task("vouchers_expiring", repo.expiring_wallets(
            session, organisation_id=org, before=today + timedelta(days=EXPIRY_WARNING_DAYS)), "/vouchers"))
        own = repo.own_application_counts(session, org)
        tasks.append(Task("own_applications_pending", own.get("submitted", 0) + own.get("in_review", 0), "/vouchers"))
        tasks.append(Task("documents_requested", own.get("needs_documents", 0), "/vouchers#apps-h"))
    if role == Role.PROVIDER_ADMIN:
        tasks.append(Task("orders_running", repo.running_orders(session, org), "/provider"))
    return tasks


def home(session: Session, *, principal: Principal) -> Home:
    org = organisations.get_organisation(session, principal=principal, organisation_id=principal.organisation_id)
    figures: dict[str, dict[str, int]] = {}
    if principal.role in (Role.ORG_ADMIN, Role.ORG_MEMBER):
        user_id = principal.user_id if principal.role == Role.ORG_MEMBER else None
        figures["jobs"] = repo.job_counts(session, organisation_id=principal.organisation_id, user_id=user_id)
    elif principal.role in (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER):
        figures["applications"] = repo.application_counts(session)
    elif principal.role == Role.PLATFORM_OPERATOR:
        figures["jobs"] = repo.job_counts(session, organisation_id=None)
    user = org_repo.get_user(session, principal.user_id)
    return Home(org, user.display_name if user else principal.username, figures,
                work_list(session, principal=principal))
