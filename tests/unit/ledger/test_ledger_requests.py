"""Write requests as plain data: their canonical bodies stay byte-for-byte what the ledger stored
before batches existed (so old keys still replay), and a batch is refused before the database when
an item is malformed, naming the item."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from suanli.domain.errors import InvalidInput
from suanli.domain.ledger import InvalidAmount, UnbalancedTransfer, UnsupportedCurrency, credit, debit
from suanli.domain.ledger.idempotency import request_hash
from suanli.domain.ledger.requests import (
    MAX_BATCH,
    Immediate,
    Post,
    Reserve,
    Reverse,
    Void,
    body_of,
    check_batch,
)


def test_bodies_hash_exactly_as_the_single_calls_always_did() -> None:
    # The bodies the ledger hashed before batches existed (see git history of services/ledger.py).
    assert request_hash(body_of(Reserve("k", 1, 2, 300, memo="m", source_kind="job", source_id="9"))) == request_hash(
        {"op": "reserve", "currency": "CNY", "debit": 1, "credit": 2, "amount": 300, "memo": "m", "source": ["job", "9"]})
    assert request_hash(body_of(Post("k", 5, None, True))) == request_hash(
        {"op": "post", "currency": "CNY", "pending": 5, "amount": None, "final": True, "memo": "",
         "source": [None, None]})
    assert body_of(Void("k", 5)) == {"op": "void", "currency": "CNY", "pending": 5, "memo": ""}
    assert body_of(Reverse("k", 5, "oops"))["transfer"] == 5
    legs = (debit(1, 10), credit(2, 10))
    assert body_of(Immediate("k", legs))["legs"] == [[1, 10], [2, -10]]


def test_a_given_moment_is_part_of_the_body_and_a_defaulted_now_is_not() -> None:
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    assert body_of(Void("k", 5, effective_at=moment))["effective_at"] == moment.isoformat()
    assert "effective_at" not in body_of(Void("k", 5))


@pytest.mark.parametrize("bad, error", [
    (Reserve("x", 1, 2, 0), InvalidAmount),
    (Reserve("x", 1, 2, 5, currency="USD"), UnsupportedCurrency),
    (Reserve("", 1, 2, 5), InvalidInput),
    (Immediate("x", (debit(1, 10), credit(2, 9))), UnbalancedTransfer),
    (Post("x", "7"), InvalidInput),  # type: ignore[arg-type]
])
def test_a_malformed_item_fails_the_batch_naming_its_index(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error) as refused:
        check_batch([Void("ok", 1), bad])  # type: ignore[list-item]
    assert refused.value.extra["item"] == 1 and str(refused.value).startswith("items[1]: ")  # type: ignore[attr-defined]


def test_a_key_used_twice_in_one_batch_names_both_items() -> None:
    with pytest.raises(InvalidInput, match=r"items\[2\]: .*items\[0\]"):
        check_batch([Void("a", 1), Void("b", 2), Post("a", 3)])


def test_a_batch_has_between_one_and_the_maximum_number_of_items() -> None:
    with pytest.raises(InvalidInput):
        check_batch([])
    with pytest.raises(InvalidInput):
        check_batch([Void(f"k{n}", n) for n in range(MAX_BATCH + 1)])
    assert len(check_batch([Void(f"k{n}", n) for n in range(MAX_BATCH)])) == MAX_BATCH
