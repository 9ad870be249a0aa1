"""The year-of-a-city loader of `bench/bench_scale.py` (at a thousandth of its size) leaves a log the
server can go on appending to: its entries become the tree (size and frontier in the log state, the
frontier's subtrees stored), so the next event is placed after them and its receipt verifies offline.
(The loader wrote entries without the log state once; every request that sequenced then failed.)

Its ledger is written with the per-row triggers off (as pg_restore loads): it must still be one the
ledger's own checks accept and its own write path can go on from, with the guards back on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from suanli.db.engine import make_engine
from suanli.db.models.audit import AuditEvent
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import Signer
from suanli.services import audit, ledger

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import bench_scale


@pytest.mark.postgres
def test_the_loaded_log_takes_the_next_event_and_its_receipt_verifies(postgres_url: str) -> None:
    loaded = bench_scale.load_city_year(postgres_url, 0.001)
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    signer = Signer.generate()
    with unit_of_work(sessions) as s:
        size = int(s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.outbox_id.is_(None))) or 0)
        assert size == loaded["counts"]["log"]
        pending = audit.record_event(s, kind="user.signed_in", subject="user:1", payload={})
    with unit_of_work(sessions) as s:
        audit.catch_up(s)
        placed = audit.event_of_outbox(s, outbox_id=pending.outbox_id)
        assert placed is not None and placed.seq >= size  # after the loaded entries, never over them
        receipt = audit.issue_receipt(s, seq=int(placed.seq), signer=signer)
    assert verify_receipt(receipt, signer.public_key).ok
    engine.dispose()


@pytest.mark.postgres
def test_the_loaded_ledger_is_consistent_and_the_write_path_goes_on_from_it(postgres_url: str) -> None:
    loaded = bench_scale.load_city_year(postgres_url, 0.001)
    rows = loaded["rows"]
    assert rows["ledger_legs"] == 2 * rows["ledger_transfers"] and rows["ledger_transfers"] > 3_000
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as s:
        assert ledger.check_consistency(s) == []
        kinds = dict(s.execute(text("SELECT kind || '/' || status, count(*) FROM ledger_transfers GROUP BY 1")).all())
        assert set(kinds) == {"immediate/posted", "reserve/posted", "reserve/voided", "reserve/pending", "post/posted",
                              "void/posted"}
        assert s.scalar(text("SELECT count(DISTINCT period) FROM ledger_transfers")) >= 12
        wallet = s.scalar(text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": bench_scale.HOT_WALLET})
        payable = s.scalar(text("SELECT min(id) FROM ledger_accounts WHERE purpose = 'provider_payable'"))
        hold = ledger.reserve(s, idempotency_key="after-load", debit_account_id=wallet, credit_account_id=payable,
                              amount_fen=100)
        ledger.post(s, idempotency_key="after-load:post", pending_id=hold.id, amount_fen=70)
    with unit_of_work(sessions) as s:
        assert ledger.check_consistency(s) == []
        newest = ledger.list_transfers(s, account_id=wallet, limit=2)
        assert [t.idempotency_key for t in newest] == ["after-load:post", "after-load"]
    # the database's own guards are on again: an unbalanced posting is refused
    with pytest.raises(DBAPIError), engine.begin() as conn:
        transfer = conn.execute(text(
            "INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, status, amount_fen, currency, memo,"
            " source_kind, source_id, period, effective_at, posted_fen, released_fen, sealed, created_at) VALUES"
            " ('raw', 'raw', 'immediate', 'posted', 10, 'CNY', '', 'manual', '', '2026-01', now(), 0, 0, true, now())"
            " RETURNING id")).scalar_one()
        conn.execute(text("INSERT INTO ledger_legs (transfer_id, account_id, amount_fen) VALUES (:t, :a, 10)"),
                     {"t": transfer, "a": payable})
    engine.dispose()
