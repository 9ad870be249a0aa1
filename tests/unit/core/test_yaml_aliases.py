"""Configuration files refuse YAML bombs: a few hundred bytes of nested aliases ("billion laughs")
stand for billions of nodes, and deep flow nesting is quadratic in the scanner; either held a request
for minutes. Each parser refuses them at once, naming the line, in its own problem type."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from suanli.domain.awards.items import parse_award_file
from suanli.domain.errors import SuanliError
from suanli.domain.federation_file import parse_federation
from suanli.domain.indicators.definitions import parse_indicator_file
from suanli.domain.vouchers.program_file import parse_program_file

LAUGHS = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi", strict=True))

PARSERS: dict[str, Callable[[str], Any]] = {
    "program": lambda text: parse_program_file(text.encode(), "uploaded program file"),
    "federation": parse_federation,
    "indicators": parse_indicator_file,
    "award item": parse_award_file,
}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_a_billion_laughs_file_is_refused_at_once_naming_the_line(parser: Callable[[str], Any]) -> None:
    started = time.monotonic()
    with pytest.raises(SuanliError, match="line 2: YAML aliases") as refused:
        parser(LAUGHS)
    assert refused.value.status == 422 and time.monotonic() - started < 2


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_one_alias_is_refused_too(parser: Callable[[str], Any]) -> None:
    with pytest.raises(SuanliError, match=r"aliases \(\*t\)"):
        parser("title: &t 成都\nagain: *t\n")


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_flow_nesting_ten_thousand_deep_is_refused_before_the_quadratic_scanner(parser: Callable[[str], Any]) -> None:
    started = time.monotonic()
    with pytest.raises(SuanliError, match="line 1: file nested too deeply.*more than 64 levels"):
        parser("[" * 10_000 + "]" * 10_000)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_a_five_thousand_digit_number_is_a_refusal_not_a_crash(parser: Callable[[str], Any]) -> None:
    with pytest.raises(SuanliError, match="too many digits"):
        parser("id: x\nbudget_fen: 1" + "0" * 5000 + "\n")
