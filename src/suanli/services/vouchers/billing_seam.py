"""The billing seam: at metering, billing asks `voucher_share` how much of a usage's list price a
voucher pays. The voucher engine answers with the one redemption algorithm
(`redemptions.record_usage_redemption`: the redemption recorded, unique per usage record) and billing
moves the money (wallet -> provider payable, drawing the program's reserve fund 备用金 at the provider).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from suanli.domain.vouchers import Outcome
from suanli.services.ports import VoucherShare
from suanli.services.vouchers.redemptions import record_usage_redemption


class MeteredUsage(Protocol):
    """What the seam reads of a usage record."""

    @property
    def id(self) -> int: ...


def voucher_share(session: Session, *, usage: MeteredUsage, charge_fen: int,
                  today: date | None = None) -> VoucherShare | None:
    """Billing's question at metering: the voucher's share of this usage's list price, or None. When the
    job's voucher share was held at admission, the answer names that hold and how much to post out of it."""
    done = record_usage_redemption(session, usage_record_id=usage.id, charge_fen=charge_fen, today=today)
    if done is None:
        return None
    reasons = tuple(r.en for r in done.decision.rules if r.outcome in (Outcome.LIMITED, Outcome.PASSED))
    reservation = done.reservation
    hold_id = reservation.hold_transfer_id if reservation is not None and done.from_hold_fen else None
    return VoucherShare(int(done.redemption.amount_fen), done.program.id, done.wallet.ledger_account_id,
                        done.program.code, reasons, hold_id=hold_id, from_hold_fen=done.from_hold_fen)
