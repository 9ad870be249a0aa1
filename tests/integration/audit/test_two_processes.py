"""Two operating-system processes writing audit events to the outbox and each running a sequencer at
the same time, on SQLite and PostgreSQL: whichever sequencer holds the log places what is pending,
the other finds nothing to do (PostgreSQL: SKIP LOCKED) or waits its turn (SQLite: one writer), and
the stored events still form one gapless RFC 9162 tree with every event exactly once."""

from __future__ import annotations

import json
import multiprocessing
import time
from multiprocessing.synchronize import Barrier

from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine
from suanli.db.repositories import audit as repo
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import MemoryTree, fold
from suanli.domain.audit.signing import Signer
from suanli.services import audit

PER_PROCESS = 60
ROUND = 10  # appends per process between two meetings at the barrier


def append_from_process(url: str, writer: str, count: int, start: Barrier) -> None:
    """Runs in a child process: its own engine, one event per transaction (a few batched), and after
    every few transactions a sequencer pass of its own (so the two sequencers overlap).

    The two children meet at the barrier before every round, so both write and sequence in every
    round whatever the scheduler does."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    for i in range(count):
        if i % ROUND == 0:
            start.wait(timeout=60)
        with unit_of_work(sessions) as s:
            if i % 10 == 9:
                audit.record_events(s, [("voucher.redeemed", f"{writer}:{i}", {"n": i}, 1),
                                        ("voucher.redeemed", f"{writer}:{i}b", {"n": i}, 1)])
            else:
                audit.record_event(s, kind="voucher.redeemed", subject=f"{writer}:{i}", payload={"n": i})
        if i % 3 == 2:
            with unit_of_work(sessions) as s:
                audit.sequence_pending(s, limit=4)  # small batches: more turns for the other sequencer
        time.sleep(0.001)  # other work between transactions, so the SQLite lock changes hands
    engine.dispose()


def test_two_processes_writing_and_sequencing_at_once_keep_one_gapless_tree(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        audit.record_event(s, kind="log.opened", subject="test:opened", payload={})
        audit.catch_up(s)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    children = [context.Process(target=append_from_process, args=(db_url, f"p{n}", PER_PROCESS, start))
                for n in (1, 2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0, 0]
    with unit_of_work(sessions) as s:  # what the children left pending is placed after theirs, not over it
        audit.record_event(s, kind="log.checked", subject="test:checked", payload={})
        last = audit.catch_up(s)[-1]
    expected = 2 + 2 * (PER_PROCESS + PER_PROCESS // 10)
    assert last.seq == expected - 1 and last.tree_size == expected
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        events = [json.loads(c) for _seq, c, _leaf in repo.iter_events(s, below=size)]
        outbox_ids = [row.outbox_id for row in repo.list_events(s, offset=0, limit=1000)]
        assert audit.check_log(s, public_key=Signer.generate().public_key).ok
        assert repo.count_outbox(s) == 0
    assert size == expected and [e["seq"] for e in events] == list(range(expected))
    assert len({e["subject"] for e in events}) == expected  # every event once
    assert len(set(outbox_ids)) == expected and None not in outbox_ids
    tree = MemoryTree()
    for event in events:
        tree.append(canonical_json(event))
    assert fold(frontier) == tree.root() == last.root_hash
