"""Canonical JSON: sorted keys, no whitespace, UTF-8, refusing what cannot be reproduced."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.domain.audit.canonical import canonical_json, event_document, normalise, normalise_payload
from suanli.domain.audit.errors import NotCanonical


def test_keys_are_sorted_without_whitespace_and_chinese_stays_utf8() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": None, "c": "算力券"}]}) == \
        '{"a":[1,{"c":"算力券","d":null}],"b":1}'.encode()


def test_an_event_carries_its_schema_version_and_sequence_number() -> None:
    event = event_document(seq=3, kind="grant.approved", subject="grant:9", organisation_id=None,
                           payload={"amount_fen": 100}, recorded_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert event["schema"] == "suanli.audit.event/1"
    assert event["seq"] == 3 and event["recorded_at"] == "2026-01-02T00:00:00Z"


@pytest.mark.parametrize("bad", [Decimal("1.5"), float("nan"), b"raw", {1: "non-string key"},
                                 datetime(2026, 1, 1)])
def test_values_without_one_canonical_form_are_refused(bad: object) -> None:
    with pytest.raises(NotCanonical):
        normalise({"x": bad})


@pytest.mark.parametrize("bad", [Decimal("1.5"), float("nan"), b"raw", datetime(2026, 1, 1)])
def test_the_payload_fast_path_refuses_the_same_values_as_normalise(bad: object) -> None:
    with pytest.raises(NotCanonical):
        normalise_payload({"x": bad})
    with pytest.raises(NotCanonical, match=r"payload\.legs\[1\]\[0\]"):  # nested: still says where
        normalise_payload({"legs": [[1, 2], [bad, 3]]})
    with pytest.raises(NotCanonical):
        normalise_payload({"nested": {1: "non-string key"}})
    with pytest.raises(NotCanonical):
        normalise_payload({1: "non-string key"})


class Colour(StrEnum):
    RED = "red"


@given(st.dictionaries(st.text(max_size=5),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                                 st.floats(allow_nan=False, allow_infinity=False),
                                 st.sampled_from(list(Colour)), st.lists(st.integers(), max_size=3),
                                 st.lists(st.tuples(st.integers(), st.integers()), max_size=3),
                                 st.dictionaries(st.text(max_size=3), st.lists(st.one_of(
                                     st.integers(), st.text(max_size=3), st.sampled_from(list(Colour))), max_size=2),
                                     max_size=2)),
                       max_size=6))
def test_the_payload_fast_path_encodes_exactly_like_normalise(payload: dict[str, object]) -> None:
    fast = normalise_payload(payload)
    assert canonical_json(fast) == canonical_json(normalise(dict(payload)))
    assert fast is not payload  # the caller may change its dict after the event is recorded
