"""Billing rules: metered usage -> priced charge -> invoice line (list price, subsidy, amount to pay).

Each rounding is a named function with its rule. The charge itself uses `money.charge_for_usage`
(rounds UP to the fen); subsidies use `money.subsidy_share` (rounds DOWN, in favour of the public
budget); platform fees use `money.percentage_share` (half up).
"""

from __future__ import annotations

from dataclasses import dataclass

from suanli.domain.errors import InvalidInput
from suanli.domain.money import Fen, charge_for_usage, percentage_share


@dataclass(frozen=True, slots=True)
class BillingRule:
    """How an offering bills: device-seconds are counted in steps of `granularity_s`, and a charge
    that is not zero is at least `minimum_charge_fen`."""

    granularity_s: int = 60
    minimum_charge_fen: Fen = 0
    platform_fee_bps: int = 0  # the platform's share of the list price, in 1/10,000

    def __post_init__(self) -> None:
        if self.granularity_s < 1 or self.minimum_charge_fen < 0 or not 0 <= self.platform_fee_bps <= 10_000:
            raise InvalidInput("billing rule needs granularity >= 1 s, minimum >= 0 and a fee of 0-10,000 bps")


DEFAULT_RULE = BillingRule()


def billable_device_seconds(device_seconds: int, granularity_s: int) -> int:
    """Usage rounds UP to the next whole billing step: a started minute is a billed minute (the
    published rule of per-minute billing at the centers)."""
    if device_seconds < 0:
        raise InvalidInput("device-seconds cannot be negative")
    return -(-device_seconds // granularity_s) * granularity_s


def apply_minimum_charge(charge_fen: Fen, minimum_fen: Fen) -> Fen:
    """A non-zero charge is raised to the minimum; no usage at all costs nothing (no minimum applies)."""
    return max(charge_fen, minimum_fen) if charge_fen > 0 else 0


def price_usage(price_fen_per_device_hour: Fen, device_seconds: int, rule: BillingRule = DEFAULT_RULE) -> Fen:
    """The list price of metered usage: price x billable device-hours, rounded up to the fen, then the minimum."""
    if price_fen_per_device_hour < 0:
        raise InvalidInput("a price cannot be negative")
    billable = billable_device_seconds(device_seconds, rule.granularity_s)
    return apply_minimum_charge(charge_for_usage(price_fen_per_device_hour, billable), rule.minimum_charge_fen)


def expected_charge(price_fen_per_device_hour: Fen, devices: int, time_limit_s: int,
                    rule: BillingRule = DEFAULT_RULE) -> Fen:
    """What a job may cost at most: all its devices for its whole time limit (reserved at admission)."""
    return price_usage(price_fen_per_device_hour, max(devices, 0) * max(time_limit_s, 0), rule)


def platform_fee(list_price_fen: Fen, rule: BillingRule = DEFAULT_RULE) -> Fen:
    return percentage_share(list_price_fen, rule.platform_fee_bps)


@dataclass(frozen=True, slots=True)
class ChargeSplit:
    """Who pays what of one charge: the voucher's subsidy and the organisation's amount to pay."""

    list_price_fen: Fen
    subsidy_fen: Fen
    amount_due_fen: Fen


def split_charge(list_price_fen: Fen, subsidy_fen: Fen) -> ChargeSplit:
    """The subsidy is capped at the list price; the organisation pays the rest."""
    if list_price_fen < 0 or subsidy_fen < 0:
        raise InvalidInput("charges and subsidies cannot be negative")
    subsidy = min(subsidy_fen, list_price_fen)
    return ChargeSplit(list_price_fen, subsidy, list_price_fen - subsidy)


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    list_price_fen: Fen
    subsidy_fen: Fen
    amount_due_fen: Fen


def invoice_totals(lines: list[ChargeSplit]) -> InvoiceTotals:
    return InvoiceTotals(sum(x.list_price_fen for x in lines), sum(x.subsidy_fen for x in lines),
                         sum(x.amount_due_fen for x in lines))
