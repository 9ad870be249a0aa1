"""The log in real transactions: concurrent writers, receipts, proofs, and a database rewritten
behind the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.repositories import audit as repo
from suanli.db.uow import unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import MemoryTree, fold, leaf_hash
from suanli.domain.audit.proofs import verify_consistency
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import SignedTreeHead, Signer
from suanli.domain.audit.verdict import Tampering
from suanli.services import audit


def append(sessions: sessionmaker[Session], n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with unit_of_work(sessions) as s:
            audit.record_event(s, kind="voucher.redeemed", subject=f"voucher:{i}",
                               payload={"amount_fen": 100 + i}, organisation_id=i % 3)


def test_concurrent_writers_from_threads_keep_one_consistent_tree(sessions: sessionmaker[Session]) -> None:
    threads = [threading.Thread(target=append, args=(sessions, 15, 100 * t)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with unit_of_work(sessions) as s:
        audit.catch_up(s)
    with unit_of_work(sessions) as s:
        size, frontier = repo.read_state(s)
        events = [json.loads(c) for _seq, c, _leaf in repo.iter_events(s, below=size)]
        assert audit.check_log(s, public_key=Signer.generate().public_key).ok
    assert size == 60 and [e["seq"] for e in events] == list(range(60))
    assert len({e["subject"] for e in events}) == 60
    tree = MemoryTree()
    for event in events:
        tree.append(canonical_json(event))
    assert fold(frontier) == tree.root()


def test_a_receipt_proves_inclusion_under_a_signed_head(sessions: sessionmaker[Session]) -> None:
    signer = Signer.generate()
    append(sessions, 9)
    with unit_of_work(sessions) as s:
        receipt = audit.issue_receipt(s, seq=4, signer=signer)
    assert receipt["tree_size"] == 9
    assert verify_receipt(receipt, signer.public_key).ok
    append(sessions, 1, 9)
    with unit_of_work(sessions) as s:  # a newer event gets a fresh head covering it
        assert audit.issue_receipt(s, seq=9, signer=signer)["tree_size"] == 10


def test_consistency_proofs_link_every_checkpoint_to_the_latest(sessions: sessionmaker[Session]) -> None:
    signer = Signer.generate()
    heads: list[SignedTreeHead] = []
    for step in (3, 5, 8):
        append(sessions, step, sum(h.tree_size for h in heads[-1:]))
        with unit_of_work(sessions) as s:
            heads.append(audit.sign_head(s, signer=signer))
    with unit_of_work(sessions) as s:
        for old in heads:
            proof = audit.consistency(s, first=old.tree_size, second=heads[-1].tree_size)
            assert verify_consistency(old.tree_size, heads[-1].tree_size, old.root_hash, heads[-1].root_hash, proof)


def test_an_event_edited_in_the_database_is_found_by_the_log_check(sessions: sessionmaker[Session]) -> None:
    signer = Signer.generate()
    append(sessions, 10)
    with unit_of_work(sessions) as s:
        audit.sign_head(s, signer=signer)
        row = repo.get_event(s, 6)
        assert row is not None
        s.execute(text("UPDATE audit_events SET canonical = :c WHERE seq = 6"),
                  {"c": row.canonical.replace(b'"amount_fen":106', b'"amount_fen":999')})
    with unit_of_work(sessions) as s:
        verdict = audit.check_log(s, public_key=signer.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.EDITED_ENTRY, 6)


def rewrite_history(s: Session, seq: int) -> None:
    """Rewrite one event and every hash that depends on it, as an attacker with database access would."""
    size, _ = repo.read_state(s)
    rows = list(repo.iter_events(s, below=size))
    tree = MemoryTree()
    for i, canonical, _leaf in rows:
        if i == seq:
            canonical = canonical.replace(b'"amount_fen":10', b'"amount_fen":90')
            s.execute(text("UPDATE audit_events SET canonical = :c, leaf_hash = :h WHERE seq = :s"),
                      {"c": canonical, "h": leaf_hash(canonical), "s": i})
        tree.append(canonical)
    s.execute(text("DELETE FROM audit_nodes"))
    repo.insert_nodes(s, [((level, index), h) for level, hashes in enumerate(tree.levels) for index, h in enumerate(hashes)])
    repo.save_state(s, tree_size=size, frontier=tree.frontier)


def test_a_history_rewritten_behind_the_service_contradicts_the_earlier_signed_head(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    signer = Signer.generate()
    append(sessions, 12)
    with unit_of_work(sessions) as s:
        earlier = audit.sign_head(s, signer=signer)
    append(sessions, 4, 12)
    with unit_of_work(sessions) as s:
        rewrite_history(s, 3)
    with unit_of_work(sessions) as s:
        verdict = audit.check_log(s, public_key=signer.public_key)
        assert verdict.kind == Tampering.ROOT_MISMATCH
        # Even signed afresh by the operator's own key, the new head is not consistent with the old one.
        newer = audit.sign_head(s, signer=signer)
        proof = audit.consistency(s, first=earlier.tree_size, second=newer.tree_size)
    assert not verify_consistency(earlier.tree_size, newer.tree_size, earlier.root_hash, newer.root_hash, proof)
