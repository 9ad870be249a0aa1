"""How much: the grant amount (核定) within caps and budget, and the redemption amount (兑付) of an
order within ratio, wallet and the order rules (designated provider, no affiliation, contract paid,
never twice). Subsidy arithmetic is integer fen rounding DOWN (`money.subsidy_share`): the public
budget never pays the extra fen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from suanli.domain.money import format_yuan, subsidy_share
from suanli.domain.organisations import OrganisationFacts
from suanli.domain.vouchers.funders import funder_left, max_fundable
from suanli.domain.vouchers.program import Evidence, ItemKind, Settlement, Side, SideMode, VoucherProgram
from suanli.domain.vouchers.ratios import OrderLine, order_share
from suanli.domain.vouchers.rules import Decision, Outcome, RuleFired, decide, fire
from suanli.domain.vouchers.wallet import Wallet


class CapMode(StrEnum):
    STRICT = "strict"  # an amount above a cap or the budget is refused (an officer's explicit amount)
    LIMIT = "limit"  # the amount is reduced to what is left (即申即享 automatic grants)


def organisation_cap(program: VoucherProgram, project_class: str | None) -> int | None:
    klass = program.project_classes.get(project_class) if project_class else None
    return klass.cap_fen if klass is not None else program.caps.per_organisation_fen


def grant_amount(
    program: VoucherProgram,
    *,
    amount_fen: int,
    project_class: str | None,
    organisation_granted_fen: int,
    budget_left_fen: int,
    mode: CapMode = CapMode.STRICT,
    requested_fen: int | None = None,
    issuer_year_granted_fen: int = 0,
    funder_granted: Mapping[str, int] | None = None,
) -> Decision:
    """The amount to grant: never above the amount requested (unless the program file allows raising
    it), the per-application cap, the organisation's (or project class's) remaining cap, its cap for
    the calendar year across the issuer's programs (`issuer_year_granted_fen`: what the issuer's
    programs granted it this year), the program's remaining budget, or any co-funder's budget left
    (`funder_granted`: funder id -> granted so far)."""
    rules: list[RuleFired] = []
    amount = amount_fen
    if amount <= 0:
        return decide([fire("request.positive", Outcome.FAILED)])
    if requested_fen is not None and amount > requested_fen:
        values: dict[str, str | None] = {"amount": format_yuan(amount), "requested": format_yuan(requested_fen)}
        if not program.grant_may_exceed_request:
            return decide([fire("grant.within-request", Outcome.FAILED, **values)])
        rules.append(fire("grant.above-request", Outcome.NOTED, **values))
    # (rule id, amount left under that limit, template values for the rule's message)
    limits: list[tuple[str, int, dict[str, str | None]]] = []
    application_cap = program.caps.per_application_fen
    if application_cap is not None:
        limits.append(("cap.application", application_cap, {"cap": format_yuan(application_cap)}))
    org_cap = organisation_cap(program, project_class)
    if org_cap is not None:
        org_left = max(org_cap - organisation_granted_fen, 0)
        org_rule = "cap.project-class" if project_class in program.project_classes else "cap.organisation"
        limits.append((org_rule, org_left, {"cap": format_yuan(org_cap), "used": format_yuan(organisation_granted_fen),
                                            "left": format_yuan(org_left), "project_class": project_class}))
    year_cap = program.caps.per_organisation_issuer_year_fen
    if year_cap is not None:
        year_left = max(year_cap - issuer_year_granted_fen, 0)
        limits.append(("cap.issuer-year", year_left, {"cap": format_yuan(year_cap),
                                                      "used": format_yuan(issuer_year_granted_fen)}))
    limits.append(("budget.remaining", max(budget_left_fen, 0), {}))
    for funder in program.funders:
        granted = funder_granted or {}
        limits.append(("budget.funder", max_fundable(program, funder, amount, granted), {
            "funder_zh": funder.name.zh, "funder_en": funder.name.en, "percent": f"{funder.share_percent:g}",
            "left": format_yuan(funder_left(funder, granted))}))
    for rule_id, left, values in limits:
        values.setdefault("left", format_yuan(left))
        if amount <= left:
            rules.append(fire(rule_id, Outcome.PASSED, amount=format_yuan(amount), **values))
        elif mode is CapMode.LIMIT and left > 0:
            amount = left
            rules.append(fire(rule_id, Outcome.LIMITED, amount=format_yuan(amount), **values))
        else:
            rules.append(fire(rule_id, Outcome.FAILED, amount=format_yuan(amount), **values))
            return decide(rules)
    rules.append(fire("grant.amount", Outcome.PASSED, amount=format_yuan(amount)))
    return decide(rules, amount)


@dataclass(frozen=True, slots=True)
class Order:
    """Something bought that a voucher may pay part of: a metered usage or a paid contract."""

    kind: ItemKind
    amount_fen: int
    provider: str  # the center name
    basis: str  # what is being subsidised, e.g. "usage:42" or "contract:YZ-2024-001"
    side: Side = Side.DEMAND
    through_platform: bool = True
    contract_signed: bool = False
    contract_paid: bool = False
    items: tuple[OrderLine | tuple[ItemKind, int], ...] = ()  # a contract's lines; empty: one line of `kind`
    signed_on: date | None = None  # contracts: from the attested record
    term_months: int | None = None
    ecosystem: str | None = None  # of the one line when there are no items (a metered usage's pool)
    domestic: bool | None = None
    documents: frozenset[Evidence] = frozenset()  # contracts: the document types uploaded to the record

    def lines(self) -> tuple[OrderLine, ...]:
        if not self.items:
            return (OrderLine(self.kind, self.amount_fen, self.ecosystem, self.domestic, self.provider),)
        return tuple(i if isinstance(i, OrderLine) else OrderLine(i[0], i[1], center=self.provider) for i in self.items)


@dataclass(frozen=True, slots=True)
class PriorClaim:
    """An earlier, not clawed-back redemption on the same basis, in any program."""

    program: str
    side: Side
    exclusive: bool = False  # that program was provider-xor-user
    award_title: tuple[str, str] | None = None  # (zh, en) when an award (政策兑现) paid the bill, not a voucher


def claim_key(order: Order) -> str:
    """The key a redemption store keeps unique: the bill itself (a usage record or a contract), so a
    bill is subsidised once across every program and both sides, whoever races."""
    return order.basis


def check_order(program: VoucherProgram, order: Order, buyer: OrganisationFacts, prior: list[PriorClaim]) -> list[RuleFired]:
    rules: list[RuleFired] = []
    if order.side not in program.sides():
        rules.append(fire("program.side", Outcome.FAILED, side=order.side.value))
    rules_on = program.orders
    if rules_on.designated_providers is not None:
        ok = order.provider in rules_on.designated_providers
        rules.append(fire("order.designated-provider", Outcome.PASSED if ok else Outcome.FAILED, provider=order.provider))
    if rules_on.through_platform and not order.through_platform:
        rules.append(fire("order.through-platform", Outcome.FAILED))
    if rules_on.no_affiliation and order.side is Side.DEMAND:
        ok = order.provider not in buyer.affiliated_providers
        rules.append(fire("order.no-affiliation", Outcome.PASSED if ok else Outcome.FAILED, provider=order.provider))
    if rules_on.contract_paid_before_redemption or program.settlement is Settlement.REIMBURSEMENT:
        ok = order.contract_signed and order.contract_paid
        rules.append(fire("order.contract-paid", Outcome.PASSED if ok else Outcome.FAILED))
    rules += _contract_conditions(program, order)
    missing = [e.value for e in rules_on.documents if e not in order.documents]
    if rules_on.documents and order.basis.startswith("contract:"):
        rules.append(fire("claim.documents", Outcome.FAILED if missing else Outcome.PASSED,
                          missing=", ".join(missing) or "-"))
    exclusive = program.side is SideMode.PROVIDER_XOR_USER
    award = next((c.award_title for c in prior if c.award_title is not None), None)
    if award is not None:  # paid by an award: never again by a voucher (the award names the rule the other way)
        rules.append(fire("cross-program.double-benefit", Outcome.FAILED, basis=order.basis,
                          award_zh=award[0], award_en=award[1]))
    elif any(c.side is not order.side and (exclusive or c.exclusive) for c in prior):
        rules.append(fire("side.provider-xor-user", Outcome.FAILED, basis=order.basis))
    elif prior:  # one claim per bill: the same side again, or the other side of a `both` program
        rules.append(fire("order.double-claim", Outcome.FAILED, basis=order.basis))
    return rules


def _contract_conditions(program: VoucherProgram, order: Order) -> list[RuleFired]:
    conditions = program.orders.contract
    if conditions is None or not order.basis.startswith("contract:"):
        return []
    rules = []
    earliest = conditions.signed_on_or_after
    if earliest is not None:
        ok = order.signed_on is not None and order.signed_on >= earliest
        rules.append(fire("contract.signed-after", Outcome.PASSED if ok else Outcome.FAILED,
                          signed_on=order.signed_on, earliest=earliest))
    limit = conditions.max_term_months
    if limit is not None:
        ok = order.term_months is not None and order.term_months <= limit
        rules.append(fire("contract.term", Outcome.PASSED if ok else Outcome.FAILED, term=order.term_months,
                          limit=limit))
    return rules


def redemption_amount(
    program: VoucherProgram,
    order: Order,
    *,
    buyer: OrganisationFacts,
    wallet: Wallet,
    today: date,
    prior: Sequence[PriorClaim] = (),
    project_class: str | None = None,
    reserved_for_order_fen: int = 0,
) -> Decision:
    """The voucher's share of `order`: ratio for its kind, rounded down, within the wallet (plus
    what was reserved for this very order at admission)."""
    rules = check_order(program, order, buyer, list(prior))
    if wallet.expired(today):
        rules.append(fire("grant.expired", Outcome.FAILED, expires_on=wallet.expires_on))
    else:
        rules.append(fire("grant.valid", Outcome.PASSED, expires_on=wallet.expires_on))
    share, fired = order_share(program, order.side, order.lines(), project_class)
    rules += fired
    if share is None:
        return decide(rules)
    conditions = program.orders.contract
    if conditions is not None and conditions.max_share_percent is not None and order.basis.startswith("contract:"):
        cap = subsidy_share(order.amount_fen, Fraction(conditions.max_share_percent) / 100)
        if share > cap:
            share = cap
            rules.append(fire("contract.share", Outcome.LIMITED, percent=f"{conditions.max_share_percent:g}",
                              cap=format_yuan(cap)))
    minimum = program.caps.minimum_claim_fen
    if minimum is not None and share < minimum:
        rules.append(fire("claim.minimum", Outcome.FAILED, amount=format_yuan(share), minimum=format_yuan(minimum)))
        return decide(rules)
    usable = wallet.available_fen + reserved_for_order_fen
    if usable <= 0:
        rules.append(fire("wallet.balance", Outcome.FAILED, left=format_yuan(0)))
    elif share > usable:
        share = usable
        rules.append(fire("wallet.balance", Outcome.LIMITED, left=format_yuan(usable)))
    return decide(rules, share)


def clawback_amount(*, redeemed_fen: int, already_clawed_back: bool) -> Decision:
    """A clawback (追回) reverses a whole redemption, once; the money returns to the program budget,
    not to the wallet, and the usage or contract stays claimed (it is never subsidised again)."""
    if already_clawed_back:
        return decide([fire("clawback.once", Outcome.FAILED)])
    return decide([fire("clawback.amount", Outcome.PASSED, amount=format_yuan(redeemed_fen))], redeemed_fen)
