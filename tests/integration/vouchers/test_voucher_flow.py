"""The Chengdu-style voucher flow end to end on SQLite and PostgreSQL, and every bad input refused
with its rule and nothing written."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherGrantRow,
    VoucherRedemptionRow,
    VoucherWalletRow,
)
from suanli.db.uow import unit_of_work
from suanli.domain.errors import SuanliError
from suanli.domain.money import yuan
from suanli.domain.vouchers import SeparationOfDuties, VoucherConflict, VoucherRuleViolation
from suanli.domain.vouchers.disclosure import to_csv, to_xlsx
from suanli.services import ledger
from suanli.services import vouchers as svc

DAY = date(2023, 3, 1)
PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
World = Any


def load(sessions: sessionmaker[Session], world: World, name: str = "chengdu-2023", open_: bool = True) -> int:
    with unit_of_work(sessions) as s:
        row = svc.load_program(s, text=(PROGRAMS / f"{name}.yaml").read_text(), actor=world.bureau)
        if open_:
            svc.set_window(s, program_id=row.id, open=True, actor=world.bureau)
        return row.id


def apply(sessions, world, program_id, amount=10_000_000, who=None, **kw) -> int:
    with unit_of_work(sessions) as s:
        cmd = svc.ApplyCommand(program_id=program_id, project="traffic model", requested_fen=amount, **kw)
        return svc.apply(s, command=cmd, actor=who or world.sme_admin, today=DAY).id


def approve(sessions, world, application_id, amount=None) -> None:
    with unit_of_work(sessions) as s:
        svc.review(s, application_id=application_id, actor=world.bureau, approve=True, score=80, today=DAY)
    with unit_of_work(sessions) as s:
        svc.review(s, application_id=application_id, actor=world.officer2, approve=True, amount_fen=amount, today=DAY)


def count(sessions, model) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_chengdu_program_goes_from_file_to_grant_to_redemption_to_disclosure(sessions, world, metered) -> None:
    program_id = load(sessions, world)
    application_id = apply(sessions, world, program_id)
    approve(sessions, world, application_id)
    with unit_of_work(sessions) as s:
        wallet = s.scalars(select(VoucherWalletRow)).one()
        assert wallet.granted_fen == yuan(100_000)
        program = svc.program_row(s, program_id)
        assert svc.budget_left(program) == yuan(9_900_000)
        assert ledger.natural_balance(ledger.get_account(s, account_id=program.budget_account_id)) == yuan(9_900_000)
        grant = s.scalars(select(VoucherGrantRow)).one()
        assert grant.receipt == {"outbox_id": grant.receipt["outbox_id"]} and grant.expires_on == date(2023, 12, 31)
        job_id, usage_id = metered(s, world.sme_admin, charge_fen=150_001)
        hold = svc.reserve_for_job(s, job_id=job_id, organisation_id=world.sme_admin.organisation_id,
                                   center="nscc-chengdu", estimate_fen=200_000, today=DAY)
        assert hold is not None and hold.amount_fen == 60_000
    with unit_of_work(sessions) as s:
        redemption = svc.redeem_usage(s, usage_record_id=usage_id, today=DAY)
        assert redemption.amount_fen == 45_000  # 30% of 150,001 fen, rounded down
        assert svc.release_for_job(s, job_id=job_id) == 15_000
    with unit_of_work(sessions) as s:
        wallet = s.scalars(select(VoucherWalletRow)).one()
        assert (wallet.reserved_fen, wallet.redeemed_fen) == (0, 45_000)
        assert ledger.natural_balance(ledger.get_account(s, account_id=wallet.ledger_account_id)) == yuan(100_000) - 45_000
        forecast, burn = svc.forecast(s, program_id=program_id, today=date.today())
        assert forecast.remaining_fen == yuan(9_900_000) and forecast.runs_out_on is not None and burn
        rows = svc.disclosure(s, program_id=program_id, actor=world.bureau, publish=True)
    assert rows[0]["organisation"] == "rongcheng-ai" and rows[0]["amount_fen"] == yuan(100_000)
    assert "rongcheng-ai" in to_csv(rows).decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(to_xlsx(rows))).active
    assert sheet.cell(2, 2).value == "rongcheng-ai"


def test_a_redemption_replay_is_refused_and_nothing_more_is_paid(sessions, world, metered) -> None:
    program_id = load(sessions, world)
    approve(sessions, world, apply(sessions, world, program_id))
    with unit_of_work(sessions) as s:
        _, usage_id = metered(s, world.sme_admin, charge_fen=10_000)
        svc.redeem_usage(s, usage_record_id=usage_id, today=DAY)
    with pytest.raises(VoucherConflict) as caught, unit_of_work(sessions) as s:
        svc.redeem_usage(s, usage_record_id=usage_id, today=DAY)
    assert caught.value.rule == "order.double-claim" and caught.value.status == 409
    assert count(sessions, VoucherRedemptionRow) == 1


def refused(sessions, action) -> SuanliError:
    with pytest.raises(SuanliError) as caught, unit_of_work(sessions) as s:
        action(s)
    return caught.value


def test_bad_applications_are_refused_with_the_rule_and_nothing_is_written(sessions, world) -> None:
    closed = load(sessions, world, open_=False)
    err = refused(sessions, lambda s: svc.apply(s, command=svc.ApplyCommand(closed, "p", 100), actor=world.sme_admin,
                                                today=DAY))
    assert isinstance(err, VoucherRuleViolation) and err.rule == "window.open"
    with unit_of_work(sessions) as s:
        svc.set_window(s, program_id=closed, open=True, actor=world.bureau)
    early = refused(sessions, lambda s: svc.apply(s, command=svc.ApplyCommand(closed, "p", 100), actor=world.sme_admin,
                                                  today=date(2023, 1, 1)))
    assert early.rule == "window.open"
    big = refused(sessions, lambda s: svc.apply(s, command=svc.ApplyCommand(closed, "p", 100), actor=world.big_admin,
                                                today=DAY))
    assert big.rule == "org.tech-sme" and big.status == 422
    over = refused(sessions, lambda s: svc.apply(s, command=svc.ApplyCommand(
        closed, "p", yuan(1_500_001), project_class="provincial-major-ai-lead"), actor=world.sme_admin, today=DAY))
    assert over.rule == "cap.project-class"
    assert count(sessions, VoucherApplicationRow) == 0


def test_separation_of_duties_and_double_approval_are_refused(sessions, world) -> None:
    program_id = load(sessions, world)
    application_id = apply(sessions, world, program_id)
    with unit_of_work(sessions) as s:
        svc.review(s, application_id=application_id, actor=world.bureau, approve=True, score=80, today=DAY)
    twice = refused(sessions, lambda s: svc.review(s, application_id=application_id, actor=world.bureau, approve=True,
                                                   today=DAY))
    assert isinstance(twice, SeparationOfDuties) and twice.rule == "review.same-person"
    with unit_of_work(sessions) as s:
        svc.review(s, application_id=application_id, actor=world.officer2, approve=True, today=DAY)
    again = refused(sessions, lambda s: svc.review(s, application_id=application_id, actor=world.finance,
                                                   approve=True, today=DAY))
    assert isinstance(again, VoucherConflict)
    assert count(sessions, VoucherGrantRow) == 1


def test_an_officer_cannot_act_on_their_own_organisations_application(sessions, world) -> None:
    with unit_of_work(sessions) as s:
        row = svc.load_program(s, text=(PROGRAMS / "chengdu-2024-supply.yaml").read_text(), actor=world.bureau)
        svc.set_window(s, program_id=row.id, open=True, actor=world.bureau)
        program_id = row.id
    with unit_of_work(sessions) as s:
        cmd = svc.ApplyCommand(program_id=program_id, project="p", requested_fen=100)
        app_id = svc.apply(s, command=cmd, actor=world.sme_admin, today=date(2024, 3, 1)).id
    # An officer whose account belongs to the applicant's organisation.
    insider = svc.Principal(world.bureau.user_id, "officer", world.sme_admin.organisation_id, world.bureau.role)
    err = refused(sessions, lambda s: svc.review(s, application_id=app_id, actor=insider, approve=True,
                                                 today=date(2024, 3, 1)))
    assert isinstance(err, SeparationOfDuties) and err.rule == "review.own-organisation" and err.status == 403


def test_expiry_returns_the_remainder_and_a_clawback_returns_the_redemption_to_the_budget(sessions, world,
                                                                                          metered) -> None:
    program_id = load(sessions, world)
    approve(sessions, world, apply(sessions, world, program_id, amount=yuan(1_000)))
    with unit_of_work(sessions) as s:
        _, usage_id = metered(s, world.sme_admin, charge_fen=yuan(1_000))
        redemption = svc.redeem_usage(s, usage_record_id=usage_id, today=DAY)
        assert redemption.amount_fen == yuan(300)
    with unit_of_work(sessions) as s:
        assert svc.expire_wallets(s, today=date(2024, 1, 1))[0][1] == yuan(700)
    with unit_of_work(sessions) as s:
        svc.clawback(s, redemption_id=redemption.id, actor=world.bureau, reason="fabricated usage")
    again = refused(sessions, lambda s: svc.clawback(s, redemption_id=redemption.id, actor=world.bureau, reason="x"))
    assert again.rule == "clawback.once"
    with unit_of_work(sessions) as s:
        program = svc.program_row(s, program_id)
        assert svc.budget_left(program) == yuan(10_000_000)
        assert ledger.natural_balance(ledger.get_account(s, account_id=program.budget_account_id)) == yuan(10_000_000)
        assert ledger.check_consistency(s) == []


def test_reloading_the_same_file_is_a_no_op_and_a_changed_file_is_refused(sessions, world) -> None:
    first = load(sessions, world, open_=False)
    assert load(sessions, world, open_=False) == first
    text = (PROGRAMS / "chengdu-2023.yaml").read_text().replace("ratios: {compute: 30}", "ratios: {compute: 40}")
    err = refused(sessions, lambda s: svc.load_program(s, text=text, actor=world.bureau))
    assert err.rule == "program.immutable" and err.status == 409
