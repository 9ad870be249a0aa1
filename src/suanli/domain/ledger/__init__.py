"""The double-entry ledger (复式记账) in integer fen: accounts, balanced transfers, two-phase holds,
reversals, idempotency and accounting periods. Pure rules; the database enforces them a second time."""

from suanli.domain.ledger.accounts import (
    PURPOSES,
    AccountPurpose,
    AccountState,
    AccountType,
    OwnerKind,
    account_code,
)
from suanli.domain.ledger.errors import (
    InsufficientFunds,
    InvalidAmount,
    PeriodClosed,
    PostExceedsReservation,
    TransferNotPending,
    TransferNotReversible,
    UnbalancedTransfer,
    UnknownAccount,
    UnknownTransfer,
    UnsupportedCurrency,
)
from suanli.domain.ledger.pending import Hold, post_legs, reserve_legs, status_after, void_legs
from suanli.domain.ledger.transfers import (
    Leg,
    Side,
    TransferKind,
    TransferStatus,
    apply_legs,
    check_currency,
    check_legs,
    credit,
    debit,
    leg,
    reversal_legs,
)

__all__ = [
    "PURPOSES", "AccountPurpose", "AccountState", "AccountType", "Hold", "InsufficientFunds", "InvalidAmount",
    "Leg", "OwnerKind", "PeriodClosed", "PostExceedsReservation", "Side", "TransferKind", "TransferNotPending",
    "TransferNotReversible", "TransferStatus", "UnbalancedTransfer", "UnknownAccount", "UnknownTransfer",
    "UnsupportedCurrency", "account_code", "apply_legs", "check_currency", "check_legs", "credit", "debit", "leg",
    "post_legs", "reserve_legs", "reversal_legs", "status_after", "void_legs",
]
