"""A person's own inbox and choices: only ever the signed-in person's (another person's notice is a
404), the kinds they may receive, the e-mail address, per kind and channel on or off."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.notifications import NotificationRow
from suanli.db.repositories import notifications as repo
from suanli.domain.errors import InvalidInput, NotFound
from suanli.domain.organisations import Principal, Role

# kind -> (zh, en, the roles that receive it)
KINDS: dict[str, tuple[str, str, tuple[Role, ...]]] = {
    "application_decided": ("申领结果", "Application decisions", (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN)),
    "documents_requested": ("需补充材料", "Documents requested", (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN)),
    "application_to_review": ("待审核申领", "Applications to review", (Role.PROGRAM_OFFICER,)),
    "job_ended": ("作业结束", "A job ended", (Role.ORG_ADMIN, Role.ORG_MEMBER)),
    "wallet_expiring": ("算力券即将到期", "Vouchers about to expire", (Role.ORG_ADMIN, Role.PROVIDER_ADMIN)),
    "batch_awaiting_approval": ("拨付批次待审批", "Disbursement batches awaiting approval", (Role.FINANCE_OFFICER,)),
    "budget_threshold": ("预算使用提醒", "Program budget thresholds", (Role.PROGRAM_OFFICER,)),
    "policy_match": ("可能符合的政策", "Policies you may qualify for", (Role.ORG_ADMIN, Role.PROVIDER_ADMIN)),
    "award_to_review": ("待审核奖励申报", "Award applications to review", (Role.PROGRAM_OFFICER,)),
    "award_decided": ("奖励结果", "Award decisions", (Role.ORG_ADMIN, Role.ORG_MEMBER)),
}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PAGE = 20


def kinds_for(role: Role) -> list[str]:
    return [k for k, (_zh, _en, roles) in KINDS.items() if role in roles]


@dataclass
class InboxPage:
    rows: Sequence[NotificationRow]
    total: int
    unread: int
    page: int
    pages: int


def inbox(session: Session, *, principal: Principal, unread_only: bool = False, page: int = 1) -> InboxPage:
    if not 1 <= page <= 10**6:
        raise InvalidInput("page must be between 1 and 1000000", field="page", low=1, high=10**6)
    rows, total = repo.inbox(session, principal.user_id, unread_only=unread_only, offset=(page - 1) * PAGE, limit=PAGE)
    return InboxPage(rows, total, repo.unread_count(session, principal.user_id), page, max(1, -(-total // PAGE)))


def unread_count(session: Session, *, principal: Principal) -> int:
    return repo.unread_count(session, principal.user_id)


def mark_read(session: Session, *, principal: Principal, notification_id: int) -> NotificationRow:
    row = repo.get_notification(session, notification_id) if 0 < notification_id < 2**62 else None
    if row is None or row.user_id != principal.user_id:
        raise NotFound(f"notification {notification_id} does not exist")
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, *, principal: Principal) -> int:
    return repo.mark_all_read(session, principal.user_id, utcnow())


@dataclass
class MySettings:
    email: str
    kinds: list[str]  # what this role can receive
    inbox: set[str]  # kinds on in the inbox
    mail: set[str]  # kinds on by e-mail


def my_settings(session: Session, *, principal: Principal) -> MySettings:
    kinds = kinds_for(principal.role)
    row = repo.settings_of(session, principal.user_id)
    muted_inbox = set(row.muted_inbox) if row else set()
    muted_email = set(row.muted_email) if row else set()
    return MySettings(row.email or "" if row else "", kinds, {k for k in kinds if k not in muted_inbox},
                      {k for k in kinds if k not in muted_email})


def save_settings(session: Session, *, principal: Principal, email: str, inbox_kinds: Sequence[str],
                  mail_kinds: Sequence[str]) -> MySettings:
    """Everything not ticked is muted; an empty address means no mail at all."""
    email = email.strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise InvalidInput("the e-mail address is not valid", field="email")
    kinds = kinds_for(principal.role)
    for kind in [*inbox_kinds, *mail_kinds]:
        if kind not in kinds:
            raise InvalidInput(f"unknown notification kind {kind[:40]!r}", field="kind")
    repo.save_settings(session, principal.user_id, email=email or None,
                       muted_inbox=[k for k in kinds if k not in inbox_kinds],
                       muted_email=[k for k in kinds if k not in mail_kinds], now=utcnow())
    return my_settings(session, principal=principal)
