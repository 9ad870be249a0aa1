"""Which rule types a program file uses: the table `docs/vouchers.md` shows for the shipped files,
generated from the parsed programs so the documentation cannot drift from them (a unit test compares)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from suanli.domain.vouchers.program import SideRules, VoucherProgram

DASH = "–"


def _sides(p: VoucherProgram) -> list[SideRules]:
    return [r for r in (p.demand, p.supply) if r is not None]


def _yes(flag: object) -> str:
    return "yes" if flag else DASH


def _caps(p: VoucherProgram) -> str:
    names = {"per_organisation_fen": "org", "per_application_fen": "application",
             "per_organisation_issuer_year_fen": "issuer-year", "minimum_claim_fen": "minimum"}
    used = [short for field, short in names.items() if getattr(p.caps, field) is not None]
    return ", ".join(used) or DASH


def _contract(p: VoucherProgram) -> str:
    c = p.orders.contract
    if c is None:
        return DASH
    used = [name for name, value in (("signed-after", c.signed_on_or_after), ("term", c.max_term_months),
                                      ("share", c.max_share_percent)) if value is not None]
    return ", ".join(used) or DASH


def _validity(p: VoucherProgram) -> str:
    return "+".join(x for x, v in (("days", p.validity.valid_days), ("date", p.validity.expires_on)) if v)


COLUMNS: list[tuple[str, Callable[[VoucherProgram], str]]] = [
    ("side", lambda p: p.side.value),
    ("settlement", lambda p: p.settlement.value),
    ("ratios", lambda p: ", ".join(sorted({k.value for r in _sides(p) for k in r.ratios}))),
    ("ratio rules", lambda p: str(sum(len(r.ratio_rules) for r in _sides(p))) if any(r.ratio_rules for r in _sides(p)) else DASH),
    ("tiers", lambda p: next((r.tiers.mode for r in _sides(p) if r.tiers), DASH)),
    ("project classes", lambda p: str(len(p.project_classes)) if p.project_classes else DASH),
    ("caps", _caps),
    ("funders", lambda p: str(len(p.funders)) if p.funders else DASH),
    ("eligibility rules", lambda p: str(len(p.eligibility)) if p.eligibility else DASH),
    ("designated providers", lambda p: _yes(p.orders.designated_providers)),
    ("through platform", lambda p: _yes(p.orders.through_platform)),
    ("no affiliation", lambda p: _yes(p.orders.no_affiliation)),
    ("paid contract", lambda p: _yes(p.orders.contract_paid_before_redemption)),
    ("contract conditions", _contract),
    ("scale", lambda p: _yes(p.scale)),
    ("evidence", lambda p: ", ".join(e.value for e in p.evidence) or DASH),
    ("claim documents", lambda p: ", ".join(e.value for e in p.orders.documents) or DASH),
    ("stage documents", lambda p: str(sum(1 for s in p.review_stages if s.requires)) if any(
        s.requires for s in p.review_stages) else DASH),
    ("windows", lambda p: str(len(p.windows)) if p.windows else DASH),
    ("validity", _validity),
    ("review stages", lambda p: str(len(p.review_stages)) if p.review_stages else DASH),
    ("即申即享", lambda p: _yes(p.apply_and_enjoy)),
    ("priority sectors", lambda p: _yes(p.priority_sectors)),
    ("management costs", lambda p: p.management_costs),
]


def rule_table(programs: Sequence[tuple[str, VoucherProgram]]) -> str:
    """A Markdown table: one row per (file name, program), one column per rule type."""
    head = ["file"] + [name for name, _ in COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, program in programs:
        lines.append("| " + " | ".join([f"`{name}`"] + [cell(program) for _, cell in COLUMNS]) + " |")
    return "\n".join(lines) + "\n"
