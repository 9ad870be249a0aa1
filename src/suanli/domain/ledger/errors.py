"""Ledger errors: each knows its HTTP status and problem type (derived from `domain.errors`)."""

from __future__ import annotations

from suanli.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound


class UnknownAccount(NotFound):
    slug, title = "unknown-account", "Unknown ledger account"


class InvalidAmount(InvalidInput):
    slug, title = "invalid-amount", "Invalid amount"


class UnsupportedCurrency(InvalidInput):
    slug, title = "unsupported-currency", "Only CNY is supported"


class UnbalancedTransfer(InvalidInput):
    slug, title = "unbalanced-transfer", "Transfer legs do not balance"


class InsufficientFunds(Conflict):
    slug, title = "insufficient-funds", "Account would go below zero"


class PeriodClosed(Conflict):
    slug, title = "period-closed", "Accounting period is closed"


class TransferNotPending(IllegalTransition):
    slug, title = "transfer-not-pending", "Transfer is not pending"


class TransferNotReversible(IllegalTransition):
    slug, title = "transfer-not-reversible", "Transfer cannot be reversed"


class PostExceedsReservation(InvalidInput):
    slug, title = "post-exceeds-reservation", "Posted amount exceeds what is reserved"


class UnknownTransfer(NotFound):
    slug, title = "unknown-transfer", "Unknown transfer"
