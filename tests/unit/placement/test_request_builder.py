"""The one builder from user input to a PlacementRequest: strict per field, money in fen, named refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from suanli.domain.errors import InvalidResourceRequest
from suanli.domain.placement.requests import placement_request
from suanli.domain.resources import Ecosystem


def refused_field(fields: dict[str, object]) -> str:
    with pytest.raises(InvalidResourceRequest) as caught:
        placement_request(fields)
    return str(caught.value.extra.get("field"))


def test_form_strings_and_json_values_give_the_same_request() -> None:
    typed = placement_request({"devices": 8, "ecosystems": ["cuda"], "min_device_memory_gb": 64, "hours": 12,
                               "prefer": "cheapest", "max_price_fen": 1_250_000})
    texted = placement_request({"devices": "8", "ecosystems": "cuda", "min_device_memory_gb": "64", "hours": "12",
                                "prefer": "cheapest", "max_price_yuan": "12,500.00"})
    assert typed == texted
    assert typed.ecosystems == frozenset({Ecosystem.CUDA})
    assert typed.max_price_fen == 1_250_000


@pytest.mark.parametrize("value", [1.5, "1.5", True, "two", "", None])
def test_a_fractional_or_missing_device_count_is_refused_not_truncated(value: object) -> None:
    assert refused_field({"devices": value}) == "devices"


def test_an_unknown_preference_is_refused_with_the_field_named() -> None:
    assert refused_field({"devices": 1, "prefer": "bogus"}) == "prefer"


def test_sub_fen_prices_are_refused_never_rounded() -> None:
    assert refused_field({"devices": 1, "max_price_yuan": "1.005"}) == "max_price_yuan"


def test_text_over_its_limit_is_refused_not_truncated() -> None:
    assert refused_field({"devices": 1, "input_city": "成" * 101}) == "input_city"


def test_unknown_fields_are_refused_in_user_input_but_ignored_in_stored_requests() -> None:
    assert refused_field({"devices": 1, "colour": "red"}) == "colour"
    assert placement_request({"devices": 1, "colour": "red"}, strict=False).devices == 1


def test_a_stored_deadline_becomes_hours_from_now() -> None:
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    request = placement_request({"devices": 1, "deadline": "2026-12-01T20:00:00+00:00"}, now=now)
    assert request.deadline_hours == pytest.approx(12)


def test_exactly_one_amount_is_needed() -> None:
    assert refused_field({"devices": 2, "equivalents": 2}) == "devices"
    assert placement_request({"equivalents": "2.5"}).equivalents == 2.5
