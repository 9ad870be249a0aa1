"""The bureau's sheet layout and Chinese search terms, without a database."""

from __future__ import annotations

import pytest

from suanli.domain.opportunities import query_terms, terms
from suanli.domain.opportunities.items import DuplicateOpportunity, OpportunityError
from suanli.domain.opportunities.table import HEADERS, read_table


def _csv(*rows: list[str]) -> bytes:
    lines = [",".join(HEADERS)] + [",".join(r) for r in rows]
    return "\n".join(lines).encode()


def _row(code: str, title: str = "智能制造质检", **over: str) -> list[str]:
    cells = dict(zip(HEADERS, [code, "供给", "应用", title, "某公司", "高新区", "智能制造"] + [""] * 10, strict=True))
    cells.update(over)
    return [cells[h] for h in HEADERS]


def test_a_two_character_word_inside_a_sentence_is_among_the_terms() -> None:
    indexed = terms("基于大模型的城市路口信号配时优化")
    assert query_terms("路口") <= indexed and query_terms("信号配时") <= indexed
    assert not query_terms("口信号灯") <= indexed


def test_latin_words_are_lower_case_terms() -> None:
    assert terms("GPU 集群 A800") >= {"gpu", "a800", "集群", "集", "群"}


def test_a_bad_cell_names_its_row_and_column() -> None:
    with pytest.raises(OpportunityError, match="row 3, column 类型"):
        read_table(_csv(_row("A-1"), _row("A-2", "另一条", 类型="出售")), "x.csv")
    with pytest.raises(OpportunityError, match="row 2, column 截止日期"):
        read_table(_csv(_row("A-1", 截止日期="明年")), "x.csv")
    with pytest.raises(OpportunityError, match="row 2, column 预算"):
        read_table(_csv(_row("A-1", **{"预算（万元）": "0.0000001"})), "x.csv")


def test_a_repeated_name_and_issuer_is_a_duplicate_even_with_another_code() -> None:
    with pytest.raises(DuplicateOpportunity, match="row 3 repeats row 2"):
        read_table(_csv(_row("A-1"), _row("A-2")), "x.csv")


def test_missing_columns_are_named() -> None:
    with pytest.raises(OpportunityError, match="missing columns: 清单编号"):
        read_table("名称\n一条\n".encode(), "x.csv")


def test_budget_in_wan_yuan_is_exact_fen() -> None:
    (draft,) = read_table(_csv(_row("A-1", **{"预算（万元）": "12.3456"})), "x.csv")
    assert draft.budget_fen == 12_345_600


@pytest.mark.parametrize("budget", ["Infinity", "-Infinity", "inf", "1e400", "-1"])
def test_a_budget_that_is_no_sum_of_money_names_its_cell(budget: str) -> None:
    with pytest.raises(OpportunityError, match="row 2, column 预算.*between 0 and"):
        read_table(_csv(_row("A-1", **{"预算（万元）": budget})), "x.csv")
