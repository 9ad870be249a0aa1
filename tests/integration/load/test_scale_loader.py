"""The year-of-a-city loader of `bench/bench_scale.py` (at a thousandth of its size) leaves a log the
server can go on appending to: its entries become the tree (size and frontier in the log state, the
frontier's subtrees stored), so the next event is placed after them and its receipt verifies offline.
(The loader wrote entries without the log state once; every request that sequenced then failed.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from suanli.db.engine import make_engine
from suanli.db.models.audit import AuditEvent
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import Signer
from suanli.services import audit

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
