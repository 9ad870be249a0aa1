"""Appending audit events inside real transactions on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from suanli.db.repositories import audit as repo
from suanli.db.uow import unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import MemoryTree, append_to_frontier, fold
from suanli.services.audit import record_event, record_events


def test_events_appended_in_separate_transactions_form_one_rfc9162_tree(sessions: sessionmaker[Session]) -> None:
    tree = MemoryTree()
    for i in range(13):
        with unit_of_work(sessions) as s:
            recorded = record_event(s, kind="voucher.granted", subject=f"voucher:{i}",
                                    payload={"amount_fen": 100 * i}, organisation_id=1 + i % 2)
        tree.append(canonical_json(recorded.event))
        assert recorded.seq == i
        assert recorded.root_hash == tree.root()
    with unit_of_work(sessions) as s:
        assert repo.read_state(s)[0] == 13
        assert repo.count_events(s, organisation_id=1) == 7


def test_an_event_rolled_back_with_its_transaction_leaves_no_trace(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        record_event(s, kind="a.happened", subject="x", payload={})
    s = sessions()
    record_event(s, kind="b.happened", subject="y", payload={})
    s.rollback()
    s.close()
    with unit_of_work(sessions) as s:
        again = record_event(s, kind="c.happened", subject="z", payload={})
    assert again.seq == 1


def test_an_append_builds_on_the_stored_frontier_even_when_only_its_hashes_changed(
        sessions: sessionmaker[Session]) -> None:
    """The process caches the state it wrote; a state of the same size but other hashes (a restore,
    a rewrite behind the service) must not be mistaken for it."""
    for i in range(5):
        with unit_of_work(sessions) as s:
            record_event(s, kind="a.happened", subject=f"x:{i}", payload={})
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        stored = [bytes([7]) * 32 for _ in frontier]
        repo.save_state(s, tree_size=size, frontier=stored)
    with unit_of_work(sessions) as s:
        recorded = record_event(s, kind="b.happened", subject="y", payload={})
    expected = list(stored)
    append_to_frontier(expected, size, recorded.leaf_hash)
    assert recorded.seq == size and recorded.root_hash == fold(expected)
    with unit_of_work(sessions) as s:
        assert repo.read_state(s) == (size + 1, expected)


def test_a_large_batch_in_one_transaction_forms_the_same_tree_as_single_appends(
        sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        first = record_event(s, kind="a.happened", subject="x", payload={})
    with unit_of_work(sessions) as s:  # more rows than one multi-row INSERT carries
        recorded = record_events(s, [("b.happened", f"y:{i}", {"i": i}, i % 4) for i in range(1100)])
    tree = MemoryTree()
    tree.append(canonical_json(first.event))
    for event in recorded:
        tree.append(canonical_json(event.event))
    assert [r.seq for r in recorded] == list(range(1, 1101))
    assert recorded[-1].root_hash == tree.root()
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        assert size == 1101 and fold(frontier) == tree.root()
        assert repo.fetch_nodes(s, [(10, 0)]) == {(10, 0): tree.node((10, 0))}
