"""A grant and a redemption keep the outbox id of their audit event, not its seq: their transactions
take no log lock (on PostgreSQL they commit while a sequencer holds it), their receipts are pending
until the sequencer places the event (a bounded wait, then ReceiptPending), and the receipt read later
verifies offline. A row written before the outbox (it keeps seq and leaf hash) still reads its
receipt. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from suanli.cli.main import app as cli
from suanli.db.models.organisations import UserRow
from suanli.db.models.vouchers import VoucherGrantRow, VoucherRedemptionRow
from suanli.db.uow import unit_of_work
from suanli.domain.audit.errors import ReceiptPending
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import Signer, public_key_pem
from suanli.services import audit
from suanli.services import vouchers as svc
from suanli.services.accounts import hash_password
from suanli.web.common import TOKEN_COOKIE

KEY = Signer.generate()
PASSWORD = "Receipts-2026-pass"
DAY = date(2023, 3, 1)
PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"


def postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: two write transactions never overlap there")


def grant_and_redeem(sessions: sessionmaker[Session], world: Any, metered: Any) -> tuple[int, int]:
    """Approve a grant and redeem a bill against it, each in a transaction that may wait for no lock
    longer than half a second (the log lock held elsewhere would fail them)."""
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=(PROGRAMS / "chengdu-2023.yaml").read_text(), actor=world.bureau)
        svc.set_window(s, program_id=program.id, open=True, actor=world.bureau)
    with unit_of_work(sessions) as s:
        command = svc.ApplyCommand(program_id=program.id, project="traffic model", requested_fen=10_000_000)
        application_id = svc.apply(s, command=command, actor=world.sme_admin, today=DAY).id
    with unit_of_work(sessions) as s:
        _fail_fast(s)
        svc.review(s, application_id=application_id, actor=world.bureau, approve=True, score=80, today=DAY)
    with unit_of_work(sessions) as s:
        _fail_fast(s)
        svc.review(s, application_id=application_id, actor=world.officer2, approve=True, today=DAY)
    with unit_of_work(sessions) as s:
        _, usage_id = metered(s, world.sme_admin, charge_fen=10_000)
    with unit_of_work(sessions) as s:
        _fail_fast(s)
        redemption = svc.redeem_usage(s, usage_record_id=usage_id, today=DAY)
    return application_id, redemption.id


def _fail_fast(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL lock_timeout = '500ms'"))


def verify_offline(receipt: dict[str, Any], tmp_path: Path, name: str) -> None:
    """The receipt as an auditor receives it (plain JSON), checked with the public key alone, by the
    domain verifier and by `suanli audit verify-receipt`."""
    receipt = json.loads(json.dumps(receipt))
    assert verify_receipt(receipt, KEY.public_key).ok
    path, pubkey = tmp_path / f"{name}.json", tmp_path / "pubkey.pem"
    path.write_text(json.dumps(receipt, ensure_ascii=False))
    pubkey.write_text(public_key_pem(KEY.public_key))
    checked = CliRunner().invoke(cli, ["audit", "verify-receipt", str(path), "--pubkey", str(pubkey)])
    assert checked.exit_code == 0, checked.output


def test_a_grant_and_a_redemption_commit_while_a_sequencer_holds_the_log_lock(
        engine: Engine, sessions: sessionmaker[Session], world: Any, metered: Any, tmp_path: Path) -> None:
    postgres_only(engine)
    with unit_of_work(sessions) as s:  # the log's state row exists and nothing waits
        audit.record_event(s, kind="test.opened", subject="log", payload={})
    with unit_of_work(sessions) as s:
        audit.catch_up(s)
        audit.sign_head(s, signer=KEY)
    with unit_of_work(sessions) as s:
        audit.record_event(s, kind="test.batch", subject="held", payload={})
    sequencer = sessions()
    assert len(audit.sequence_pending(sequencer)) == 1  # an open sequencer batch: it holds the log lock
    try:
        application_id, redemption_id = grant_and_redeem(sessions, world, metered)
        with unit_of_work(sessions) as s:
            grant = s.scalars(select(VoucherGrantRow)).one()
            redemption = s.get(VoucherRedemptionRow, redemption_id)
            assert redemption is not None
            assert set(grant.receipt) == set(redemption.receipt) == {"outbox_id"}
        with pytest.raises(ReceiptPending) as pending, unit_of_work(sessions) as s:
            svc.grant_receipt(s, application_id=application_id, signer=KEY, wait_s=0.2)
        assert pending.value.status == 503 and pending.value.extra["retry_after_s"] >= 1
    finally:
        sequencer.commit()
        sequencer.close()
    with unit_of_work(sessions) as s:  # the lock is free: the read places what is pending, then proves it
        grant_receipt = svc.grant_receipt(s, application_id=application_id, signer=KEY, wait_s=2)
        redemption_receipt = svc.redemption_receipt(s, redemption_id=redemption_id, signer=KEY, wait_s=2)
    assert grant_receipt["event"]["kind"] == "voucher.grant_approved"
    assert redemption_receipt["event"]["kind"] == "voucher.redeemed"
    verify_offline(grant_receipt, tmp_path, "grant")
    verify_offline(redemption_receipt, tmp_path, "redemption")


def test_receipts_read_later_verify_offline_and_a_row_that_keeps_a_seq_still_reads(
        sessions: sessionmaker[Session], world: Any, metered: Any, tmp_path: Path) -> None:
    application_id, redemption_id = grant_and_redeem(sessions, world, metered)
    with unit_of_work(sessions) as s:
        receipt = svc.redemption_receipt(s, redemption_id=redemption_id, signer=KEY, wait_s=2)
    verify_offline(receipt, tmp_path, "redemption")
    with unit_of_work(sessions) as s:  # as a grant written before the outbox keeps it
        grant = s.scalars(select(VoucherGrantRow)).one()
        placed = audit.event_of_outbox(s, outbox_id=grant.receipt["outbox_id"])
        assert placed is not None
        grant.receipt = {"seq": placed.seq, "leaf_hash": bytes(placed.leaf_hash).hex()}
    with unit_of_work(sessions) as s:
        old_shape = svc.grant_receipt(s, application_id=application_id, signer=KEY)
    assert old_shape["leaf_index"] == placed.seq and old_shape["event"]["kind"] == "voucher.grant_approved"
    verify_offline(old_shape, tmp_path, "grant")


def test_the_vouchers_page_says_a_receipt_is_being_written_until_the_sequencer_places_it(
        engine: Engine, sessions: sessionmaker[Session], world: Any, metered: Any, api: Any) -> None:
    postgres_only(engine)
    with unit_of_work(sessions) as s:  # the log's state row exists
        audit.record_event(s, kind="test.opened", subject="log", payload={})
    with unit_of_work(sessions) as s:
        audit.catch_up(s)
        s.get(UserRow, world.sme_admin.user_id).password_hash = hash_password(PASSWORD)
    signed_in = api.client.post("/api/v1/auth/login", json={"username": "sme", "password": PASSWORD})
    api.client.cookies.set(TOKEN_COOKIE, signed_in.json()["token"])
    with unit_of_work(sessions) as s:
        audit.record_event(s, kind="test.batch", subject="held", payload={})
    sequencer = sessions()
    assert len(audit.sequence_pending(sequencer)) == 1  # holds the log lock: nothing more is placed
    try:
        _, redemption_id = grant_and_redeem(sessions, world, metered)
        page = api.client.get("/vouchers", headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 200
        assert '<span data-testid="receipt-pending">正在写入审计日志</span>' in page.text
    finally:
        sequencer.commit()
        sequencer.close()
    with unit_of_work(sessions) as s:
        audit.catch_up(s)
        redemption = s.get(VoucherRedemptionRow, redemption_id)
        assert redemption is not None
        placed = audit.event_of_outbox(s, outbox_id=redemption.receipt["outbox_id"])
        assert placed is not None
    page = api.client.get("/vouchers", headers={"Accept-Language": "zh-CN"})
    assert "receipt-pending" not in page.text and f">#{placed.seq}</small>" in page.text
    assert f'href="/api/v1/redemptions/{redemption_id}/receipt"' in page.text
