"""Who may apply: the window, the side, the program's eligibility rules over organisation facts,
project classes, scale thresholds and evidence. Each check fires a rule with its stable id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from suanli.domain.organisations import OrganisationFacts
from suanli.domain.profile import ProfileFact
from suanli.domain.vouchers.program import (
    Condition,
    EligibilityRule,
    Evidence,
    FactTest,
    Side,
    VoucherProgram,
)
from suanli.domain.vouchers.rules import Decision, Outcome, RuleFired, decide, fire


@dataclass(frozen=True, slots=True)
class Application:
    """What an organisation submits (申领): the facts the rules read, plus the requested amount."""

    organisation: OrganisationFacts
    requested_fen: int
    side: Side = Side.DEMAND
    project_class: str | None = None
    sector: str | None = None
    scale_pflops_fp16: Decimal | None = None
    evidence: frozenset[Evidence] = field(default_factory=frozenset)


FALSE_VALUES = ("", "false", "no", "0")


def fact_holds(test: FactTest, fact: ProfileFact | None, today: date | None) -> bool:
    """One profile fact against its test; a stale fact (older than `max_age_days`) counts as unknown."""
    if fact is not None and test.max_age_days is not None and today is not None and (
            (today - fact.as_of).days > test.max_age_days or fact.as_of > today):
        fact = None
    if not test.present:
        return fact is None or fact.value.strip().lower() in FALSE_VALUES
    if fact is None:
        return False
    if test.equals is not None and fact.value != test.equals:
        return False
    if test.min is None and test.max is None:
        return True
    try:
        number = Decimal(fact.value)
    except ArithmeticError:
        return False
    return (test.min is None or number >= test.min) and (test.max is None or number <= test.max)


def holds(condition: Condition, org: OrganisationFacts, today: date | None = None) -> bool:
    if condition.facts is not None and not all(fact_holds(t, org.fact(t.key), today) for t in condition.facts):
        return False
    if condition.types is not None and org.type not in condition.types:
        return False
    if condition.cities is not None and org.city not in condition.cities:
        return False
    if condition.sectors_any is not None and not (org.sectors & set(condition.sectors_any)):
        return False
    if condition.sme is not None and org.sme != condition.sme:
        return False
    return condition.incubator_hosted is None or bool(org.incubator) == condition.incubator_hosted


def check_rule(rule: EligibilityRule, org: OrganisationFacts, today: date | None = None) -> RuleFired | None:
    """None when the rule does not apply to this organisation (its `when` does not match). A rule over
    profile facts names each fact it read with its source and date."""
    if rule.when is not None and not holds(rule.when, org, today):
        return None
    outcome = Outcome.PASSED if holds(rule.require, org, today) else Outcome.FAILED
    zh, en = rule.message.zh, rule.message.en
    for test in rule.require.facts or ():
        fact = org.fact(test.key)
        if fact is None:
            zh, en = zh + f"（未登记 {test.key}）", en + f" ({test.key} not on record)"
        else:
            zh += f"（{test.key} = {fact.value}，来源：{fact.source}，{fact.as_of.isoformat()}）"
            en += f" ({test.key} = {fact.value}, source: {fact.source}, {fact.as_of.isoformat()})"
    return RuleFired(rule.id, outcome, zh, en)


def check_organisation(program: VoucherProgram, org: OrganisationFacts, today: date | None = None) -> Decision:
    fired = [r for r in (check_rule(rule, org, today) for rule in program.eligibility) if r is not None]
    return decide(fired)


def window_rule(program: VoucherProgram, today: date, *, opened: bool) -> RuleFired:
    if not opened:
        return fire("window.open", Outcome.FAILED, detail="closed by the program officer / 主管部门未开放")
    if not program.windows or any(w.opens <= today <= w.closes for w in program.windows):
        return RuleFired("window.open", Outcome.PASSED, "申领窗口开放中", "the application window is open")
    spans = ", ".join(f"{w.opens}..{w.closes}" for w in program.windows)
    return fire("window.open", Outcome.FAILED, detail=f"{today} not in {spans}")


def check_application(program: VoucherProgram, app: Application, today: date, *, opened: bool = True) -> Decision:
    """May this application be accepted for review? Lists every rule checked, failures included."""
    rules = [window_rule(program, today, opened=opened)]
    if app.side not in program.sides():
        rules.append(fire("program.side", Outcome.FAILED, side=app.side.value))
    if app.requested_fen <= 0:
        rules.append(fire("request.positive", Outcome.FAILED))
    rules += check_organisation(program, app.organisation, today).rules
    if app.project_class is not None and app.project_class not in program.project_classes:
        rules.append(fire("project-class.known", Outcome.FAILED, project_class=app.project_class))
    rules += _scale_rules(program, app)
    missing = sorted(set(program.evidence) - app.evidence)
    if missing:
        rules.append(fire("scale.evidence", Outcome.FAILED, missing=", ".join(missing)))
    sectors = app.organisation.sectors | ({app.sector} if app.sector else set())
    priority = sorted(sectors & set(program.priority_sectors))
    if priority:
        rules.append(fire("priority.sector", Outcome.NOTED, sectors=", ".join(priority)))
    return decide(rules, app.requested_fen)


def _scale_rules(program: VoucherProgram, app: Application) -> list[RuleFired]:
    if program.scale is None:
        return []
    rules = []
    scale = app.scale_pflops_fp16 or Decimal(0)
    outcome = Outcome.PASSED if scale >= program.scale.min_pflops_fp16 else Outcome.FAILED
    rules.append(fire("scale.minimum", outcome, scale=scale, minimum=program.scale.min_pflops_fp16))
    missing = sorted(set(program.scale.evidence) - app.evidence)
    if missing:
        rules.append(fire("scale.evidence", Outcome.FAILED, missing=", ".join(missing)))
    return rules

