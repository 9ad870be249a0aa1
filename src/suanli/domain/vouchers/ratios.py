"""How much of an order the voucher pays, line by line: the ratio that applies to each bought item.

For each line, in order of precedence: the applicant's project class ratios (when its class defines
them), the first of the side's `ratio_rules` whose item test matches (accelerator ecosystem, domestic
hardware, center, item kind), the side's `tiers` by amount for the kinds they list (the lines of those
kinds are added up and the bands applied to the total, so splitting a contract into lines changes
nothing), else the side's per-kind ratio. Every share rounds down (`money.subsidy_share`); each line
or tier fires a rule with its stable id and a zh/en message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from suanli.domain.money import format_yuan, subsidy_share
from suanli.domain.vouchers.program import ItemKind, ItemMatch, RatioRule, Side, Tiers, VoucherProgram
from suanli.domain.vouchers.rules import Outcome, RuleFired, fire


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One bought item with the properties a ratio may depend on."""

    kind: ItemKind
    amount_fen: int
    ecosystem: str | None = None  # cuda | cann | rocm | mlu ...
    domestic: bool | None = None  # domestic (国产) hardware
    center: str | None = None


TIER_MODES_ZH = {"marginal": "超额累进", "whole": "全额分档"}


def matches(test: ItemMatch, line: OrderLine) -> bool:
    if test.kinds is not None and line.kind not in test.kinds:
        return False
    if test.ecosystems is not None and (line.ecosystem or "").lower() not in {e.lower() for e in test.ecosystems}:
        return False
    if test.domestic is not None and line.domestic is not test.domestic:
        return False
    return test.centers is None or line.center in test.centers


def tiered_share(amount_fen: int, tiers: Tiers) -> int:
    """The tiers' share of an amount. Marginal: each band's percent on the part inside it (a band runs
    from its from_fen to the next band's); whole: the percent of the last band the amount reaches."""
    bands = sorted(tiers.bands, key=lambda b: b.from_fen)
    if tiers.mode == "whole":
        band = [b for b in bands if b.from_fen <= amount_fen][-1]
        return subsidy_share(amount_fen, Fraction(band.percent) / 100)
    # Marginal: exact fractions per band, one rounding down at the end (never a fen per band).
    total = Fraction(0)
    for band, upper in zip(bands, [b.from_fen for b in bands[1:]] + [None], strict=True):
        part = max(min(amount_fen, upper if upper is not None else amount_fen) - band.from_fen, 0)
        total += part * Fraction(band.percent) / 100
    return int(total)


def _percent(value: Fraction | object) -> str:
    return f"{float(value):g}"  # type: ignore[arg-type]


def _rule_fired(rule: RatioRule, line: OrderLine, share: int) -> RuleFired:
    """A program file's ratio rule fires under its own id, with the built-in message around its words."""
    generic = fire("ratio.item", Outcome.LIMITED, kind=line.kind.value, percent=_percent(rule.percent),
                   share=format_yuan(share), what_zh=rule.message.zh if rule.message else rule.id,
                   what_en=rule.message.en if rule.message else rule.id)
    return RuleFired(rule.id, Outcome.LIMITED, generic.zh, generic.en)


def order_share(program: VoucherProgram, side: Side, lines: Sequence[OrderLine],
                project_class: str | None) -> tuple[int | None, list[RuleFired]]:
    """The voucher's share of the lines and the rules that fired; None when a line's kind is not
    subsidised (the last rule fired is then `order.item-kind`, failed)."""
    rules_on = program.demand if side is Side.DEMAND else program.supply
    klass = program.project_classes.get(project_class) if project_class else None
    class_ratios = side is Side.DEMAND and klass is not None and klass.ratios is not None
    fired: list[RuleFired] = []
    share, tiered = 0, []
    for line in lines:
        ratio = program.ratio(side, line.kind, project_class)
        if ratio is None or ratio == 0:
            fired.append(fire("order.item-kind", Outcome.FAILED, kind=line.kind.value))
            return None, fired
        rule = None if class_ratios or rules_on is None else next(
            (r for r in rules_on.ratio_rules if matches(r.when, line)), None)
        if rule is not None:
            part = subsidy_share(line.amount_fen, Fraction(rule.percent) / 100)
            fired.append(_rule_fired(rule, line, part))
        elif not class_ratios and rules_on is not None and rules_on.tiers is not None and line.kind in rules_on.tiers.kinds:
            tiered.append(line)
            continue
        else:
            part = subsidy_share(line.amount_fen, ratio)
            fired.append(fire("ratio", Outcome.LIMITED, kind=line.kind.value, percent=_percent(ratio * 100),
                              share=format_yuan(part)))
        share += part
    if tiered:
        assert rules_on is not None and rules_on.tiers is not None
        amount = sum(line.amount_fen for line in tiered)
        part = tiered_share(amount, rules_on.tiers)
        bands = ", ".join(f"{format_yuan(b.from_fen)}+ {_percent(b.percent)}%" for b in rules_on.tiers.bands)
        fired.append(fire("ratio.tiered", Outcome.LIMITED, amount=format_yuan(amount), bands=bands,
                          mode=rules_on.tiers.mode, mode_zh=TIER_MODES_ZH[rules_on.tiers.mode],
                          share=format_yuan(part)))
        share += part
    return share, fired
