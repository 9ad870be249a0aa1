"""Receipts for grants and redemptions (核销凭证): the audit log's signed inclusion proof for the event
each one appended, so the organisation, the bureau or any auditor can check offline (`suanli audit
verify-receipt RECEIPT --pubkey KEY`) that the decision is in the transparency log and was not
altered afterwards. Organisations get receipts for their own grants and redemptions only.

A row keeps the outbox id of its event (older rows its seq): the receipt exists once the sequencer
has placed the event, which a read waits for at most `wait_s` (else ReceiptPending: 503, ask again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from suanli.db.repositories import vouchers as repo
from suanli.domain.audit.signing import Signer
from suanli.domain.organisations import Principal
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.services.audit import receipt_of_reference


def _receipt(session: Session, stored: dict[str, Any] | None, what: str, signer: Signer | None,
             wait_s: float) -> dict[str, Any]:
    receipt = receipt_of_reference(session, reference=stored, wait_s=wait_s, signer=signer)
    if receipt is None:
        raise VoucherNotFound(f"{what} has no audit receipt")
    return receipt


def redemption_receipt(session: Session, *, redemption_id: int, actor: Principal | None = None,
                       signer: Signer | None = None, wait_s: float = 2.0) -> dict[str, Any]:
    """The signed receipt of a redemption's `voucher.redeemed` event."""
    row = repo.get_redemption(session, redemption_id)
    if row is None or (actor is not None and not actor.may_read_organisation(row.organisation_id)):
        raise VoucherNotFound(f"redemption {redemption_id} does not exist")  # another tenant's id does not leak
    return _receipt(session, row.receipt, f"redemption {redemption_id}", signer, wait_s)


def grant_receipt(session: Session, *, application_id: int, actor: Principal | None = None,
                  signer: Signer | None = None, wait_s: float = 2.0) -> dict[str, Any]:
    """The signed receipt of a grant's `voucher.grant_approved` event."""
    grant = repo.grant_of(session, application_id)
    if grant is None or (actor is not None and not actor.may_read_organisation(grant.organisation_id)):
        raise VoucherNotFound(f"application {application_id} has no grant")
    return _receipt(session, grant.receipt, f"the grant of application {application_id}", signer, wait_s)
