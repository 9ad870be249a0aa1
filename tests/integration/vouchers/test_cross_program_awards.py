"""One contract is never paid twice across a voucher and an award (issue 17), on SQLite and PostgreSQL:
the award keys a contract as the voucher engine does (provider + normalised number), so a re-spelled
number is the same contract; whichever pays first, the other is refused naming the rule
`cross-program.double-benefit`, and nothing is written; a voucher claim and an award decision racing on
one contract pay it once."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.awards import AwardApplicationRow, AwardBenefitRow, AwardPayoutRow
from suanli.db.models.vouchers import VoucherRedemptionRow
from suanli.db.uow import unit_of_work
from suanli.domain.awards import DoubleBenefit
from suanli.domain.errors import SuanliError
from suanli.domain.vouchers import Side
from suanli.domain.vouchers.errors import VoucherRuleViolation
from suanli.services import awards, ledger, profile
from suanli.services import vouchers as svc

AWARDS = Path(__file__).resolve().parents[3] / "examples" / "awards"
ITEM = "ai-2024-first-version-software"
PROGRAM = ("id: cross-award\ntitle: {zh: 测试, en: test}\nissuer: {zh: 局, en: bureau}\nyear: 2023\n"
           "budget_fen: 1000000000000\nside: demand\nsettlement: direct_to_claimant\napply_and_enjoy: true\n"
           "demand:\n  ratios: {compute: 30}\norders: {through_platform: false}\nvalidity: {valid_days: 3650}\n")


def _setup(sessions: sessionmaker[Session], world: Any) -> int:
    """The voucher program (the SME holds a voucher) and the first-version award item; the provider (the
    contract's seller) is the developer of a recognised first-version product."""
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=PROGRAM, actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
    with unit_of_work(sessions) as s:
        svc.apply(s, command=svc.ApplyCommand(program, "training", 10**9, side=Side.DEMAND), actor=world.sme_admin)
        awards.load_item(s, actor=world.bureau, text=(AWARDS / "first-version-software.yaml").read_text("utf-8"))
        profile.record_fact(s, actor=world.bureau, organisation_id=world.provider_admin.organisation_id,
                            key="certification:first_version_software", value="true", source="市经信局首版次认定公告",
                            as_of=date(2024, 3, 1))
    return program


def _award(s: Session, world: Any, number: str) -> AwardApplicationRow:
    developer = world.provider_admin.organisation_id
    return awards.apply(s, actor=world.bureau, organisation_id=developer, item_code=ITEM, year=2024,
                        basis=f"contract:{developer}:{number}",
                        evidence=frozenset({"software-copyright", "test-report", "first-contract"}),
                        bases={"developer": 40_000_000, "first_user": 10_000_000},
                        parties={"developer": "nscc", "first_user": "rongcheng-ai"})


def _race(*calls: Any) -> list[object]:
    """Run the calls at the same moment, each in its own thread and unit of work."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(slot: int, call: Any) -> None:
        barrier.wait()
        try:
            results[slot] = call()
        except SuanliError as err:
            results[slot] = err
        except Exception as err:  # noqa: BLE001 - a crash is a failure the assertion shows
            results[slot] = RuntimeError(repr(err))

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return list(results)


def _counts(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    with sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0
                     for t in (AwardApplicationRow, AwardBenefitRow, AwardPayoutRow, VoucherRedemptionRow))


def test_a_contract_paid_by_a_voucher_is_refused_by_an_award_under_another_spelling(sessions, world, contract) -> None:
    program = _setup(sessions, world)
    bill = contract(world.sme_admin, "SW-2023/001", 100_000, through_platform=False)
    with unit_of_work(sessions) as s:
        svc.claim_contract(s, claim=svc.ContractClaim(program, bill), actor=world.sme_admin, idempotency_key="k1")
    before = _counts(sessions)
    with pytest.raises(DoubleBenefit) as refused, unit_of_work(sessions) as s:
        _award(s, world, " 合同编号 sw_2023_001")
    assert refused.value.rule == "cross-program.double-benefit"
    assert "cross-award" in refused.value.detail  # names the voucher program that paid it
    assert _counts(sessions) == before


def test_a_contract_paid_by_an_award_is_refused_by_a_voucher_naming_the_rule(sessions, world, contract) -> None:
    program = _setup(sessions, world)
    bill = contract(world.sme_admin, "SW-2024-002", 100_000, through_platform=False)
    with unit_of_work(sessions) as s:
        row = _award(s, world, "sw 2024 002")
        assert row.basis == f"contract:{world.provider_admin.organisation_id}:sw2024002"
        assert row.amount_fen == 4_000_000 + 1_000_000  # 10 % to each party
    before = _counts(sessions)
    with pytest.raises(VoucherRuleViolation) as refused, unit_of_work(sessions) as s:
        svc.claim_contract(s, claim=svc.ContractClaim(program, bill), actor=world.sme_admin, idempotency_key="k2")
    assert refused.value.rule == "cross-program.double-benefit"
    assert "首版次软件产品奖励" in refused.value.detail and "First-version software" in refused.value.detail
    assert _counts(sessions) == before


def test_a_voucher_claim_and_an_award_racing_on_one_contract_pay_it_once(sessions, world, contract) -> None:
    program = _setup(sessions, world)
    pairs = 8
    outcomes: list[list[object]] = []
    for i in range(pairs):
        bill = contract(world.sme_admin, f"RACE-{i}", 100_000, through_platform=False)

        def voucher(i: int = i, bill: int = bill) -> object:
            with unit_of_work(sessions) as s:
                return svc.claim_contract(s, claim=svc.ContractClaim(program, bill), actor=world.sme_admin,
                                          idempotency_key=f"r{i}").redemption.id

        def award(i: int = i) -> object:
            with unit_of_work(sessions) as s:
                return _award(s, world, f"race {i}").id

        outcomes.append(_race(voucher, award))
    for pair in outcomes:
        paid = [r for r in pair if isinstance(r, int)]
        refused = [r for r in pair if isinstance(r, SuanliError) and r.status in (409, 422)]
        assert len(paid) == 1 and len(refused) == 1, pair
    with sessions() as s:
        vouchers_paid = set(s.scalars(select(VoucherRedemptionRow.basis)))
        awards_paid = set(s.scalars(select(AwardBenefitRow.basis)))
        assert len(vouchers_paid) + len(awards_paid) == pairs and not vouchers_paid & awards_paid
        assert ledger.check_consistency(s) == []
