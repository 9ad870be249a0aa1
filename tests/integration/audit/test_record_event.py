"""Appending audit events inside real transactions on SQLite and PostgreSQL: business transactions
write the outbox, the sequencer gives the events their seqs and folds them into one RFC 9162 tree."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from suanli.db.repositories import audit as repo
from suanli.db.uow import unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import MemoryTree, append_to_frontier, fold
from suanli.services.audit import catch_up, event_of_outbox, record_event, record_events, sequence_pending


def test_events_appended_in_separate_transactions_form_one_rfc9162_tree(sessions: sessionmaker[Session]) -> None:
    pending = []
    for i in range(13):
        with unit_of_work(sessions) as s:
            pending.append(record_event(s, kind="voucher.granted", subject=f"voucher:{i}",
                                        payload={"amount_fen": 100 * i}, organisation_id=1 + i % 2))
    with unit_of_work(sessions) as s:  # nothing is in the log before the sequencer ran
        assert repo.read_state(s)[0] == 0 and repo.count_outbox(s) == 13
        assert event_of_outbox(s, outbox_id=pending[0].outbox_id) is None
    with unit_of_work(sessions) as s:
        recorded = sequence_pending(s)
    tree = MemoryTree()
    for i, (event, waiting) in enumerate(zip(recorded, pending, strict=True)):
        tree.append(canonical_json(event.event))
        assert event.seq == i and event.outbox_id == waiting.outbox_id
        assert event.event["subject"] == f"voucher:{i}" and event.event["payload"] == {"amount_fen": 100 * i}
        assert event.root_hash == tree.root()
    with unit_of_work(sessions) as s:
        assert repo.read_state(s)[0] == 13 and repo.count_outbox(s) == 0
        assert repo.count_events(s, organisation_id=1) == 7
        found = event_of_outbox(s, outbox_id=pending[5].outbox_id)
        assert found is not None and found.seq == 5
        assert sequence_pending(s) == []  # nothing is sequenced twice


def test_an_event_rolled_back_with_its_transaction_leaves_no_trace(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        record_event(s, kind="a.happened", subject="x", payload={})
    s = sessions()
    record_event(s, kind="b.happened", subject="y", payload={})
    s.rollback()
    s.close()
    with unit_of_work(sessions) as s:
        record_event(s, kind="c.happened", subject="z", payload={})
    with unit_of_work(sessions) as s:
        assert [(e.seq, e.event["kind"]) for e in catch_up(s)] == [(0, "a.happened"), (1, "c.happened")]


def test_the_sequencer_builds_on_the_stored_frontier_even_when_only_its_hashes_changed(
        sessions: sessionmaker[Session]) -> None:
    """A state of the same size but other hashes (a restore, a rewrite behind the service) is what the
    next event folds into: the sequencer reads the locked row, it keeps no guess of its own."""
    for i in range(5):
        with unit_of_work(sessions) as s:
            record_event(s, kind="a.happened", subject=f"x:{i}", payload={})
            catch_up(s)
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        stored = [bytes([7]) * 32 for _ in frontier]
        repo.save_state(s, tree_size=size, frontier=stored)
    with unit_of_work(sessions) as s:
        record_event(s, kind="b.happened", subject="y", payload={})
        [recorded] = catch_up(s)
    expected = list(stored)
    append_to_frontier(expected, size, recorded.leaf_hash)
    assert recorded.seq == size and recorded.root_hash == fold(expected)
    with unit_of_work(sessions) as s:
        assert repo.read_state(s) == (size + 1, expected)


def test_a_large_batch_forms_the_same_tree_whatever_the_sequencer_batch(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        record_event(s, kind="a.happened", subject="x", payload={})
    with unit_of_work(sessions) as s:  # more rows than one multi-row INSERT carries
        pending = record_events(s, [("b.happened", f"y:{i}", {"i": i}, i % 4) for i in range(1100)])
    assert [p.outbox_id for p in pending] == sorted({p.outbox_id for p in pending})
    recorded = []
    while True:  # batches smaller than the backlog: each continues where the last stopped
        with unit_of_work(sessions) as s:
            batch = sequence_pending(s, limit=300)
        if not batch:
            break
        recorded.extend(batch)
    tree = MemoryTree()
    for event in recorded:
        tree.append(canonical_json(event.event))
    assert [r.seq for r in recorded] == list(range(1101))
    assert [r.event["subject"] for r in recorded[1:]] == [f"y:{i}" for i in range(1100)]
    assert recorded[-1].root_hash == tree.root()
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        assert size == 1101 and fold(frontier) == tree.root()
        assert repo.fetch_nodes(s, [(10, 0)]) == {(10, 0): tree.node((10, 0))}
