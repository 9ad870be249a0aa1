"""Errors of the voucher capability (算力券), each carrying the rule that refused the request."""

from __future__ import annotations

from typing import Any

from suanli.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, SuanliError


class InvalidProgramFile(InvalidInput):
    slug, title = "invalid-program-file", "Invalid voucher program file"


class VoucherRuleViolation(InvalidInput):
    """A program rule refused the request; `rule` is the stable id of the first rule that failed."""

    slug, title = "voucher-rule-violation", "Voucher program rule not met"

    def __init__(self, detail: str, *, rule: str, **extra: Any) -> None:
        super().__init__(detail, rule=rule, **extra)
        self.rule = rule


class VoucherConflict(Conflict):
    """The request repeats or contradicts what already happened (double approval, redemption replay)."""

    slug, title = "voucher-conflict", "Voucher state conflict"

    def __init__(self, detail: str, *, rule: str, **extra: Any) -> None:
        super().__init__(detail, rule=rule, **extra)
        self.rule = rule


class SeparationOfDuties(Forbidden):
    slug, title = "separation-of-duties", "Separation of duties"

    def __init__(self, detail: str, *, rule: str, **extra: Any) -> None:
        super().__init__(detail, rule=rule, **extra)
        self.rule = rule


class VoucherNotFound(NotFound):
    slug, title = "voucher-not-found", "Voucher record not found"


class DocumentTooLarge(SuanliError):
    """An uploaded evidence file is larger than the platform accepts."""

    status, slug, title = 413, "document-too-large", "Document too large"
