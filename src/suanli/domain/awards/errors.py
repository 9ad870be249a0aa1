"""Errors of the award engine; each names the rule it is about."""

from __future__ import annotations

from suanli.domain.errors import Conflict, InvalidInput


class InvalidAwardFile(InvalidInput):
    slug, title = "invalid-award-file", "Invalid award program file"


class AwardRuleViolation(InvalidInput):
    """A claim the item's rules refuse (not eligible, evidence missing, beyond places)."""

    slug, title = "award-rule-violation", "Award rule violated"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail, rule=rule)
        self.rule = rule


class AwardClaimedAlready(Conflict):
    """The same threshold, place or one-off award claimed a second time (409)."""

    slug, title = "award-claimed-already", "Award claimed already"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail, rule=rule)
        self.rule = rule


class DoubleBenefit(Conflict):
    """One product, contract or expense already paid by another award or a voucher (409)."""

    slug, title = "double-benefit", "Already paid under another program"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail, rule=rule)
        self.rule = rule
