"""Helpers every voucher (算力券) use case shares: organisation facts for the rules, the audit hooks
(one that only appends, one that keeps a reference to its receipt), and ledger accounts by purpose."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.organisations import OrganisationRow
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.organisations import OrganisationFacts, OrganisationType
from suanli.domain.profile import ProfileFact
from suanli.services import ledger
from suanli.services.audit import log_reference, record_event


def facts_of(org: OrganisationRow, profile: tuple[ProfileFact, ...] = ()) -> OrganisationFacts:
    return OrganisationFacts(org.name, OrganisationType(org.type), org.city, frozenset(org.sectors or ()), org.sme,
                             org.incubator, frozenset(org.affiliated_centers or ()), profile)


def audit_event(session: Session, kind: str, subject: str, payload: dict[str, Any], organisation_id: int | None = None) -> None:
    """Append the event to the log's outbox (no lock: the sequencer places it after COMMIT)."""
    record_event(session, kind=kind, subject=subject, payload=payload, organisation_id=organisation_id)


def placed_event(session: Session, kind: str, subject: str, payload: dict[str, Any],
                 organisation_id: int | None = None) -> dict[str, Any]:
    """Append the event to the outbox and return what its row keeps as a receipt: `{"outbox_id": N}`.
    No log lock is taken (the sequencer places it after COMMIT); the signed receipt is read later
    (`receipts.grant_receipt` / `redemption_receipt`, or the outbox receipt URL)."""
    return log_reference(record_event(session, kind=kind, subject=subject, payload=payload,
                                      organisation_id=organisation_id))


def ledger_account(session: Session, purpose: AccountPurpose, owner_kind: OwnerKind, owner_id: int | None,
             scope: str = "") -> int:
    return ledger.open_account(session, purpose=purpose, owner_kind=owner_kind, owner_id=owner_id, scope=scope).id


def known_id(account_id: int | None) -> int:
    """A ledger account id a program or wallet row is given when it is created (never None after)."""
    assert account_id is not None
    return account_id
