"""Through billing's seam: a metered usage is charged by billing, the voucher pays 30% out of the
wallet, the redemption is recorded once, and the ledger stays consistent."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from suanli.db.models.jobs import UsageRecordRow
from suanli.db.models.vouchers import VoucherRedemptionRow, VoucherWalletRow
from suanli.db.uow import unit_of_work
from suanli.services import billing, ledger
from suanli.services import vouchers as svc

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")


def test_billing_charges_a_usage_and_the_voucher_pays_its_share_once(sessions, world, metered) -> None:
    with unit_of_work(sessions) as s:
        program_id = svc.load_program(s, text=TEXT, actor=world.bureau).id
        svc.set_window(s, program_id=program_id, open=True, actor=world.bureau)
        app_id = svc.apply(s, command=svc.ApplyCommand(program_id, "p", 1_000_000), actor=world.sme_admin).id
        svc.review(s, application_id=app_id, actor=world.bureau, approve=True, score=90)
        svc.review(s, application_id=app_id, actor=world.officer2, approve=True)
        _, usage_id = metered(s, world.sme_admin, charge_fen=0)
    with unit_of_work(sessions) as s:
        billing.on_usage_metered(s, usage=s.get(UsageRecordRow, usage_id))
    with unit_of_work(sessions) as s:
        billing.on_usage_metered(s, usage=s.get(UsageRecordRow, usage_id))  # a replay changes nothing
    with sessions() as s:
        usage = s.get(UsageRecordRow, usage_id)
        redemption = s.scalars(select(VoucherRedemptionRow)).one()
        assert usage.charge_fen > 0 and redemption.amount_fen == usage.charge_fen * 30 // 100
        wallet = s.scalars(select(VoucherWalletRow)).one()
        balance = ledger.natural_balance(ledger.get_account(s, account_id=wallet.ledger_account_id))
        assert balance == wallet.granted_fen - wallet.redeemed_fen == 1_000_000 - redemption.amount_fen
        assert ledger.check_consistency(s) == []
