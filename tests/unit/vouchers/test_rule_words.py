"""A rule that passed reads as a pass: the words of a passing check never state the refusal."""

from __future__ import annotations

import string

import pytest

from suanli.domain.vouchers.rules import CATALOGUE, PASSED_TEXT, Outcome, fire

NEGATIVE_ZH = ("低于", "不是", "存在关联", "须先", "不得", "须在")


@pytest.mark.parametrize("rule_id", sorted(PASSED_TEXT))
def test_a_passed_rule_speaks_of_the_pass_with_the_failure_s_values(rule_id: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(CATALOGUE[rule_id][0]) if name}
    passed = {name for text in PASSED_TEXT[rule_id] for _, name, _, _ in string.Formatter().parse(text) if name}
    assert passed <= fields  # every call site that fires the failure can fire the pass
    values = {name: "7" for name in fields}
    ok, refused = fire(rule_id, Outcome.PASSED, **values), fire(rule_id, Outcome.FAILED, **values)
    assert not any(word in ok.zh for word in NEGATIVE_ZH), ok.zh
    assert ok.zh != refused.zh and ok.en != refused.en


def test_the_minimum_score_reads_as_met_when_met_and_as_short_when_short() -> None:
    assert fire("review.min-score", Outcome.PASSED, score=85, minimum=60).zh == "评分 85，达到最低分 60"
    assert fire("review.min-score", Outcome.FAILED, score=50, minimum=60).zh == "评分 50 低于最低分 60"
