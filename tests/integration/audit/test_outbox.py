"""The outbox keeps the log out of business transactions, on SQLite and PostgreSQL: a business
transaction never waits for the log's lock, the in-process sequencer places what commits, and a
sequencer killed in the middle of a batch loses nothing and places nothing twice."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.synchronize import Event

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine
from suanli.db.repositories import audit as repo
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import MemoryTree, fold
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import Signer
from suanli.domain.organisations import Role
from suanli.services import audit
from suanli.workers.sequencer import Sequencer


def one_event(sessions: sessionmaker[Session], subject: str) -> None:
    with unit_of_work(sessions) as s:
        audit.record_event(s, kind="ledger.transfer", subject=subject, payload={"amount_fen": 1})


KEY = Signer.generate()


def assert_one_gapless_tree(sessions: sessionmaker[Session], subjects: set[str]) -> None:
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        events = [json.loads(c) for _seq, c, _leaf in repo.iter_events(s, below=size)]
        assert repo.count_outbox(s) == 0
        assert audit.check_log(s, public_key=KEY.public_key).ok
    assert [e["seq"] for e in events] == list(range(size))
    assert sorted(e["subject"] for e in events) == sorted(subjects)  # each exactly once
    tree = MemoryTree()
    for event in events:
        tree.append(canonical_json(event))
    assert fold(frontier) == tree.root()


def postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: two write transactions never overlap there")


def test_an_open_business_transaction_does_not_hold_up_another_ones_commit(engine: Engine,
                                                                         sessions: sessionmaker[Session]) -> None:
    postgres_only(engine)
    held = sessions()
    audit.record_event(held, kind="ledger.transfer", subject="held", payload={})
    held.flush()  # its outbox row is written, the transaction stays open
    try:
        with unit_of_work(sessions) as s:
            s.execute(text("SET LOCAL lock_timeout = '500ms'"))  # waiting for any lock would fail this
            audit.record_event(s, kind="ledger.transfer", subject="free", payload={})
    finally:
        held.commit()
        held.close()
    with unit_of_work(sessions) as s:
        assert sorted(e.event["subject"] for e in audit.catch_up(s)) == ["free", "held"]


def test_a_sequencer_holding_the_log_blocks_no_business_commit_and_a_second_one_returns(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    postgres_only(engine)
    one_event(sessions, "opened")
    with unit_of_work(sessions) as s:  # the log's state row exists (the very first sequencing creates it)
        audit.catch_up(s)
    one_event(sessions, "first")
    sequencer = sessions()
    assert [e.event["subject"] for e in audit.sequence_pending(sequencer)] == ["first"]  # holds the log lock
    try:
        with unit_of_work(sessions) as s:
            s.execute(text("SET LOCAL lock_timeout = '500ms'"))
            audit.record_event(s, kind="ledger.transfer", subject="second", payload={})
        started = time.monotonic()
        with unit_of_work(sessions) as s:
            assert audit.sequence_pending(s) == []  # SKIP LOCKED: the other sequencer is at work
        assert time.monotonic() - started < 0.5
    finally:
        sequencer.commit()
        sequencer.close()
    with unit_of_work(sessions) as s:
        assert [(e.seq, e.event["subject"]) for e in audit.sequence_pending(s)] == [(2, "second")]


def test_the_in_process_sequencer_places_what_concurrent_writers_commit(sessions: sessionmaker[Session]) -> None:
    sequencer = Sequencer(sessions, signer=lambda: KEY, gather_s=0.005, sweep_s=0.2, head_every_s=0.1)
    sequencer.start()
    try:
        def write(n: int) -> None:
            for i in range(20):
                one_event(sessions, f"w{n}:{i}")

        writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # no reader folds anything here: only the thread places events
            with unit_of_work(sessions) as s:
                if repo.count_outbox(s) == 0 and repo.read_state(s)[0] == 80:
                    break
            time.sleep(0.02)
        time.sleep(0.4)  # the head over the last batch
    finally:
        sequencer.stop()
    assert_one_gapless_tree(sessions, {f"w{n}:{i}" for n in range(4) for i in range(20)})
    with unit_of_work(sessions) as s:
        head = repo.latest_head(s)
        assert head is not None and head.tree_size == 80  # the sequencer signed a head over what it placed


def sequence_then_hang(url: str, taken: Event) -> None:
    """Runs in a child process: take the whole outbox into the log in one open transaction, then
    wait to be killed before COMMIT."""
    sessions = session_factory(make_engine(url))
    session = sessions()
    placed = audit.sequence_pending(session)
    assert len(placed) == 30
    session.flush()
    taken.set()
    time.sleep(120)


def test_a_sequencer_killed_mid_batch_loses_nothing_and_places_nothing_twice(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    for i in range(30):
        one_event(sessions, f"e:{i}")
    context = multiprocessing.get_context("spawn")
    taken = context.Event()
    child = context.Process(target=sequence_then_hang, args=(db_url, taken))
    child.start()
    try:
        assert taken.wait(timeout=60), "the child never took the batch"
    finally:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    for i in range(30, 35):  # written after the crash: placed after the recovered ones
        one_event(sessions, f"e:{i}")
    with unit_of_work(sessions) as s:
        placed = audit.catch_up(s)  # the killed transaction rolled back: its rows are in the outbox again
    assert [e.event["subject"] for e in placed] == [f"e:{i}" for i in range(35)]
    assert_one_gapless_tree(sessions, {f"e:{i}" for i in range(35)})


def test_a_receipt_is_asked_for_by_outbox_id_and_waits_a_bounded_time_for_the_log(api) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = api.organisation("acme"), api.organisation("globex")
    member = api.user("alice", Role.ORG_MEMBER, mine)
    with unit_of_work(api.sessions) as s:
        ours = audit.record_event(s, kind="voucher.redeemed", subject="voucher:1", payload={"amount_fen": 5},
                                  organisation_id=mine)
        foreign = audit.record_event(s, kind="voucher.redeemed", subject="voucher:2", payload={}, organisation_id=theirs)
    answer = api.client.get(f"/api/v1/audit/outbox/{ours.outbox_id}/receipt", headers=member)
    assert answer.status_code == 200
    receipt = answer.json()
    assert receipt["event"]["subject"] == "voucher:1"
    key = load_pem_public_key(api.client.get("/api/v1/audit/public-key?format=pem").content)
    assert isinstance(key, Ed25519PublicKey) and verify_receipt(receipt, key).ok
    assert api.client.get(f"/api/v1/audit/outbox/{foreign.outbox_id}/receipt", headers=member).status_code == 404
    assert api.client.get("/api/v1/audit/outbox/999999/receipt", headers=member).status_code == 404
    if api.sessions.kw["bind"].dialect.name != "postgresql":
        return  # SQLite: the request's own transaction holds the one write lock and sequences itself
    api.client.app.state.settings = api.client.app.state.settings.model_copy(update={"receipt_wait_s": 0.3})
    with unit_of_work(api.sessions) as s:
        late = audit.record_event(s, kind="voucher.redeemed", subject="voucher:3", payload={}, organisation_id=mine)
    busy = api.sessions()
    busy.execute(text("SELECT 1 FROM audit_log_state FOR UPDATE"))  # a sequencer at work for longer than the wait
    try:
        started = time.monotonic()
        pending = api.client.get(f"/api/v1/audit/outbox/{late.outbox_id}/receipt", headers=member)
        assert time.monotonic() - started < 2
        assert pending.status_code == 503 and pending.headers["retry-after"] == "1"
        assert pending.headers["content-type"].startswith("application/problem+json")
        assert pending.json()["outbox_id"] == late.outbox_id and pending.json()["type"].endswith("audit-receipt-pending")
    finally:
        busy.rollback()
        busy.close()
    again = api.client.get(f"/api/v1/audit/outbox/{late.outbox_id}/receipt", headers=member)
    assert again.status_code == 200 and again.json()["event"]["subject"] == "voucher:3"
