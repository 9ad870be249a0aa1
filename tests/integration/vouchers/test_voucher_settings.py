"""Every setting of a program file does something, with worked numbers: `settlement:
direct_to_claimant` pays the claimant in the finance disbursement batch (not the provider, not a
credit on a receivable), and `management_costs` decides how much of the annual total grants may use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherGrantRow, VoucherRedemptionRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import InvalidInput
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.ledger.periods import period_of
from suanli.domain.vouchers import Side, VoucherRuleViolation
from suanli.services import ledger, settlement
from suanli.services import vouchers as svc


def _program(code: str, *, settlement_mode: str = "direct_to_claimant", side: str = "provider_xor_user",
             budget_fen: int = 100_000_000, management: str = "") -> str:
    ratios = {"demand": "demand:\n  ratios: {compute: 20}\n", "supply": "supply:\n  ratios: {compute: 15}\n"}
    wanted = ["demand", "supply"] if side in ("both", "provider_xor_user") else [side]
    return (f"id: {code}\ntitle: {{zh: 测试, en: test}}\nissuer: {{zh: 局, en: bureau}}\nyear: 2026\n"
            f"budget_fen: {budget_fen}\n{management}side: {side}\nsettlement: {settlement_mode}\napply_and_enjoy: true\n"
            + "".join(ratios[s] for s in wanted) + "orders: {through_platform: false}\nvalidity: {valid_days: 3650}\n")


def _balance(sessions: sessionmaker[Session], purpose: AccountPurpose, owner_kind: OwnerKind, owner: int | None) -> int:
    with unit_of_work(sessions) as s:
        return ledger.natural_balance(ledger.open_account(s, purpose=purpose, owner_kind=owner_kind, owner_id=owner))


def test_direct_to_claimant_pays_each_claimant_in_the_finance_batch(sessions, world, contract) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=_program("direct-test"), actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        # The bureau paid the budget in: the batch pays the claimants out of real cash.
        svc.deposit_budget(s, program_id=program, amount_fen=100_000_000, idempotency_key="paid-in", actor=world.finance)
        svc.apply(s, command=svc.ApplyCommand(program, "ops", 10_000_000, side=Side.SUPPLY), actor=world.provider_admin)
        svc.apply(s, command=svc.ApplyCommand(program, "training", 10_000_000), actor=world.big_admin)
    # The provider claims 15% of its 1,000,000-fen contract with sme; big-corp 20% of its 400,000-fen one.
    supply_bill = contract(world.sme_admin, "QY-OPS-1", 1_000_000, through_platform=False)
    demand_bill = contract(world.big_admin, "QY-USE-1", 400_000, through_platform=False)
    with unit_of_work(sessions) as s:
        provider = svc.claim_contract(s, claim=svc.ContractClaim(program, supply_bill), actor=world.provider_admin,
                                      idempotency_key="p-1").redemption
        user = svc.claim_contract(s, claim=svc.ContractClaim(program, demand_bill), actor=world.big_admin,
                                  idempotency_key="u-1").redemption
        assert (provider.amount_fen, user.amount_fen) == (150_000, 80_000)
    provider_org, user_org = world.provider_admin.organisation_id, world.big_admin.organisation_id
    owed = AccountPurpose.CLAIMANT_PAYABLE
    assert _balance(sessions, owed, OwnerKind.ORGANISATION, provider_org) == 150_000
    assert _balance(sessions, owed, OwnerKind.ORGANISATION, user_org) == 80_000
    # Not a credit on the receivable: the claimants are paid money, by finance.
    assert _balance(sessions, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, user_org) == 0
    cash_before = _balance(sessions, AccountPurpose.CASH, OwnerKind.PLATFORM, None)

    month = period_of(utcnow())
    with unit_of_work(sessions) as s:
        batch = settlement.create_batch(s, month=month, created_by="clerk")
        assert batch.total_fen == 230_000
        batch_id = batch.id
    with unit_of_work(sessions) as s:
        settlement.approve_batch(s, batch_id=batch_id, approved_by="finance")
        settlement.pay_batch(s, batch_id=batch_id, paid_by="finance")
    assert _balance(sessions, owed, OwnerKind.ORGANISATION, provider_org) == 0
    assert _balance(sessions, owed, OwnerKind.ORGANISATION, user_org) == 0
    assert _balance(sessions, AccountPurpose.CASH, OwnerKind.PLATFORM, None) == cash_before - 230_000
    with unit_of_work(sessions) as s:
        rows = s.scalars(select(VoucherRedemptionRow).order_by(VoucherRedemptionRow.id)).all()
        assert [r.batch_id for r in rows] == [batch_id, batch_id]
    with unit_of_work(sessions) as s:  # paid once: the next batch has nothing to pay
        try:
            settlement.create_batch(s, month=month, created_by="clerk")
        except InvalidInput as err:
            assert "claimant payouts" in err.detail
        else:
            raise AssertionError("a second batch paid the claimants again")


def _direct_claim(sessions, world, contract, code: str, number: str) -> int:  # type: ignore[no-untyped-def]
    """big-corp's claim on a 500,000-fen contract under a new direct-to-claimant demand program; its id."""
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=_program(code, side="demand"), actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        svc.apply(s, command=svc.ApplyCommand(program, "training", 10_000_000), actor=world.big_admin)
    bill = contract(world.big_admin, number, 500_000, through_platform=False)
    with unit_of_work(sessions) as s:
        return svc.claim_contract(s, claim=svc.ContractClaim(program, bill), actor=world.big_admin,
                                  idempotency_key=f"claim-{number}").redemption.id


def test_a_direct_claim_clawed_back_before_its_batch_is_never_paid(sessions, world, contract) -> None:  # type: ignore[no-untyped-def]
    claimed = _direct_claim(sessions, world, contract, "direct-clawback", "QY-USE-9")
    with unit_of_work(sessions) as s:
        svc.clawback(s, redemption_id=claimed, actor=world.bureau, reason="duplicate invoice")
    org = world.big_admin.organisation_id
    assert _balance(sessions, AccountPurpose.CLAIMANT_PAYABLE, OwnerKind.ORGANISATION, org) == 0
    assert _balance(sessions, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, org) == 0
    with unit_of_work(sessions) as s:
        try:
            settlement.create_batch(s, month=period_of(utcnow()), created_by="clerk")
        except InvalidInput:
            pass
        else:
            raise AssertionError("a clawed-back redemption went into a batch")


def test_a_payout_in_the_first_hours_of_a_month_in_beijing_goes_to_that_month_s_batch(sessions, world, contract) -> None:  # type: ignore[no-untyped-def]
    claimed = _direct_claim(sessions, world, contract, "direct-midnight", "QY-USE-MIDNIGHT")
    with unit_of_work(sessions) as s:
        redemption = s.get(VoucherRedemptionRow, claimed)
        assert redemption is not None
        amount = int(redemption.amount_fen)
        # 2026-11-30 16:30 UTC is 00:30 on 1 December in Beijing: December's money, as the statements count it.
        redemption.created_at = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    with unit_of_work(sessions) as s, pytest.raises(InvalidInput):
        settlement.create_batch(s, month="2026-11", created_by="clerk")  # November's batch has nothing to take
    with unit_of_work(sessions) as s:
        assert settlement.create_batch(s, month="2026-12", created_by="clerk").total_fen == amount


def test_reserve_fund_claims_pay_the_provider_not_the_claimant(sessions, world, contract) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=_program("reserve-test", settlement_mode="reserve_fund", side="demand"),
                                   actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        svc.apply(s, command=svc.ApplyCommand(program, "training", 10_000_000), actor=world.big_admin)
    bill = contract(world.big_admin, "CD-1", 400_000, through_platform=False)
    with unit_of_work(sessions) as s:
        claimed = svc.claim_contract(s, claim=svc.ContractClaim(program, bill), actor=world.big_admin,
                                     idempotency_key="r-1").redemption
        assert claimed.amount_fen == 80_000 and claimed.payee_account_id is None
    assert _balance(sessions, AccountPurpose.CLAIMANT_PAYABLE, OwnerKind.ORGANISATION,
                    world.big_admin.organisation_id) == 0


def test_management_costs_inside_the_budget_reduce_what_can_be_granted(sessions, world) -> None:  # type: ignore[no-untyped-def]
    # 1,000,000 yuan a year, 3% running costs: inside the budget 970,000 yuan can be granted; outside
    # it (Langfang) the whole 1,000,000 yuan can, and the 30,000 yuan are funded separately.
    budget = 100_000_000
    inside = _program("mgmt-inside", side="demand", settlement_mode="reserve_fund", budget_fen=budget,
                      management="management_costs: inside_budget\nmanagement_cost_percent: 3\n")
    outside = _program("mgmt-outside", side="demand", settlement_mode="reserve_fund", budget_fen=budget,
                       management="management_costs: outside_budget\nmanagement_cost_percent: 3\n")
    with unit_of_work(sessions) as s:
        ids = {}
        for text in (inside, outside):
            row = svc.load_program(s, text=text, actor=world.bureau)
            svc.set_window(s, program_id=row.id, open=True, actor=world.bureau)
            ids[row.code] = row.id
            assert svc.program_of(row).management_costs_fen() == 3_000_000
        assert svc.budget_left(svc.program_row(s, ids["mgmt-inside"])) == 97_000_000
        assert svc.budget_left(svc.program_row(s, ids["mgmt-outside"])) == 100_000_000
    with unit_of_work(sessions) as s:  # 即申即享 limits a grant to what is left: the costs stay unspent
        svc.apply(s, command=svc.ApplyCommand(ids["mgmt-inside"], "all of it", 100_000_000), actor=world.big_admin)
        svc.apply(s, command=svc.ApplyCommand(ids["mgmt-outside"], "all of it", 100_000_000), actor=world.big_admin)
    with unit_of_work(sessions) as s:
        granted = {w.program_id: w.granted_fen for w in svc.list_wallets(s, actor=world.bureau)}
        assert granted == {ids["mgmt-inside"]: 97_000_000, ids["mgmt-outside"]: 100_000_000}
        assert svc.budget_left(svc.program_row(s, ids["mgmt-inside"])) == 0
        assert svc.budget_left(svc.program_row(s, ids["mgmt-outside"])) == 0
    with unit_of_work(sessions) as s:  # and nothing more is granted out of the management share
        try:
            svc.apply(s, command=svc.ApplyCommand(ids["mgmt-inside"], "more", 1), actor=world.sme_admin)
        except VoucherRuleViolation as err:
            assert err.rule == "budget.remaining"
        else:
            raise AssertionError("granted into the management costs")


def test_the_issuers_yearly_cap_counts_grants_under_all_its_programs(sessions, world) -> None:  # type: ignore[no-untyped-def]
    cap = "caps: {per_organisation_issuer_year_fen: 50_000_000}\n"  # ¥500,000 a year across the issuer
    with unit_of_work(sessions) as s:
        first = svc.load_program(s, text=_program("issuer-a", side="demand", settlement_mode="reserve_fund") + cap,
                                 actor=world.bureau).id
        second = svc.load_program(s, text=_program("issuer-b", side="demand", settlement_mode="reserve_fund") + cap,
                                  actor=world.bureau).id
        other = _program("issuer-other", side="demand", settlement_mode="reserve_fund").replace(
            "issuer: {zh: 局, en: bureau}", "issuer: {zh: 省厅, en: province}") + cap
        third = svc.load_program(s, text=other, actor=world.bureau).id
        for p in (first, second, third):
            svc.set_window(s, program_id=p, open=True, actor=world.bureau)
    with unit_of_work(sessions) as s:
        svc.apply(s, command=svc.ApplyCommand(first, "a", 42_000_000), actor=world.big_admin)
        svc.apply(s, command=svc.ApplyCommand(second, "b", 20_000_000), actor=world.big_admin)  # limited to ¥80,000
        svc.apply(s, command=svc.ApplyCommand(third, "c", 20_000_000), actor=world.big_admin)  # another issuer
    with unit_of_work(sessions) as s:
        granted = {w.program_id: w.granted_fen for w in svc.list_wallets(s, actor=world.bureau)}
    assert granted == {first: 42_000_000, second: 8_000_000, third: 20_000_000}


def test_a_co_funded_program_records_each_funders_part_and_stops_at_the_first_exhausted(sessions, world) -> None:  # type: ignore[no-untyped-def]
    funders = ("funders:\n  - {id: city, name: {zh: 市财政, en: city}, budget_fen: 60_000_000, share_percent: 60}\n"
               "  - {id: district, name: {zh: 区财政, en: district}, budget_fen: 30_000_000, share_percent: 40}\n")
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=_program("cofunded", side="demand", settlement_mode="reserve_fund")
                                   + funders, actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        svc.apply(s, command=svc.ApplyCommand(program, "a", 70_000_000), actor=world.big_admin)
    with unit_of_work(sessions) as s:
        first = s.scalars(select(VoucherGrantRow)).one()
        assert first.funder_split == {"city": 42_000_000, "district": 28_000_000}
    with unit_of_work(sessions) as s:  # the district has ¥20,000 left: 即申即享 grants ¥50,000.02 at most
        svc.apply(s, command=svc.ApplyCommand(program, "b", 20_000_000), actor=world.sme_admin)
    with unit_of_work(sessions) as s:
        rows = s.scalars(select(VoucherGrantRow).order_by(VoucherGrantRow.id)).all()
        assert [r.amount_fen for r in rows] == [70_000_000, 5_000_002]
        assert rows[1].funder_split == {"city": 3_000_002, "district": 2_000_000}
        assert "budget.funder" in [r["id"] for r in rows[1].rules if r["outcome"] == "limited"]


def test_a_contract_claim_reads_item_properties_from_the_attested_record(sessions, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    rules = ("  ratio_rules:\n    - id: ratio.domestic\n      when: {domestic: true}\n      percent: 40\n"
             "      message: {zh: 国产算力, en: domestic compute}\n")
    text = _program("domestic", side="demand", settlement_mode="reimbursement").replace(
        "demand:\n  ratios: {compute: 20}\n", "demand:\n  ratios: {compute: 20}\n" + rules)
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=text, actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        svc.apply(s, command=svc.ApplyCommand(program, "a", 10_000_000), actor=world.big_admin)
        row = svc.declare_contract(s, command=svc.DeclareContract(
            world.provider_admin.organisation_id, "DOM-1", 300_000, date(2026, 1, 5), 12,
            [{"kind": "compute", "amount_fen": 200_000, "domestic": True, "ecosystem": "cann"},
             {"kind": "compute", "amount_fen": 100_000, "ecosystem": "cuda"}]), actor=world.big_admin)
        svc.confirm_contract(s, contract_id=row.id, actor=world.provider_admin)
        svc.confirm_payment(s, contract_id=row.id, actor=world.provider_admin, paid_fen=300_000)
        contract_id = row.id
    with unit_of_work(sessions) as s:
        claimed = svc.claim_contract(s, claim=svc.ContractClaim(program, contract_id), actor=world.big_admin,
                                     idempotency_key="dom-1").redemption
        # 40% of the domestic ¥2,000 + 20% of the ¥1,000 CUDA line
        assert claimed.amount_fen == 80_000 + 20_000
        assert [r["id"] for r in claimed.rules if r["id"].startswith("ratio")] == ["ratio.domestic", "ratio"]


def test_eligibility_reads_the_profile_facts_an_officer_recorded_not_the_applicants_word(sessions, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from suanli.services import profile

    rule = ("eligibility:\n  - id: org.credit\n    require:\n      facts: [{key: \"credit:dishonest\", present: false}]\n"
            "    message: {zh: 未被列入失信名单, en: not on the dishonesty list}\n")
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=_program("credit", side="demand", settlement_mode="reserve_fund") + rule,
                                   actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        profile.record_fact(s, actor=world.bureau, organisation_id=world.big_admin.organisation_id,
                            key="credit:dishonest", value="true", source="信用中国", as_of=date(2026, 1, 10))
    with unit_of_work(sessions) as s:
        try:
            svc.apply(s, command=svc.ApplyCommand(program, "a", 1_000_000), actor=world.big_admin)
        except VoucherRuleViolation as err:
            assert err.rule == "org.credit" and "信用中国" in err.detail
        else:
            raise AssertionError("an organisation on the dishonesty list was granted")
    with unit_of_work(sessions) as s:
        svc.apply(s, command=svc.ApplyCommand(program, "a", 1_000_000), actor=world.sme_admin)  # nothing on record


def test_a_claim_waits_for_the_documents_the_program_wants_on_the_contract(sessions, world, contract, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = _program("claim-docs", side="demand", settlement_mode="reimbursement").replace(
        "orders: {through_platform: false}\n", "orders: {through_platform: false, documents: [contract, invoice]}\n")
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=text, actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        svc.apply(s, command=svc.ApplyCommand(program, "a", 10_000_000), actor=world.big_admin)
    bill = contract(world.big_admin, "DOC-1", 100_000, through_platform=False)

    def claim(key: str) -> int:
        with unit_of_work(sessions) as s:
            return svc.claim_contract(s, claim=svc.ContractClaim(program, bill), actor=world.big_admin,
                                      idempotency_key=key).redemption.amount_fen

    def upload(kind: str, who) -> None:  # type: ignore[no-untyped-def]
        with unit_of_work(sessions) as s:
            svc.upload_document(s, upload=svc.Upload(kind, f"{kind}.pdf", "application/pdf", b"%PDF " + kind.encode(),
                                                     contract_id=bill), actor=who, data_dir=tmp_path)

    upload("invoice", world.big_admin)
    try:
        claim("d-1")
    except VoucherRuleViolation as err:
        assert err.rule == "claim.documents" and "contract" in err.detail and "invoice" not in err.detail.split("/")[0]
    else:
        raise AssertionError("claimed without the signed contract on file")
    upload("contract", world.provider_admin)  # either party may file it
    assert claim("d-2") == 20_000


def test_money_that_expires_goes_back_to_each_funder_by_its_share(sessions, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    funders = ("funders:\n  - {id: city, name: {zh: 市财政, en: city}, budget_fen: 60_000_000, share_percent: 60}\n"
               "  - {id: district, name: {zh: 区财政, en: district}, budget_fen: 30_000_000, share_percent: 40}\n")
    text = _program("cofunded-expiry", side="demand", settlement_mode="reserve_fund").replace(
        "validity: {valid_days: 3650}", "validity: {valid_days: 30}") + funders
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=text, actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
        svc.apply(s, command=svc.ApplyCommand(program, "a", 75_000_000), actor=world.big_admin)  # the district is spent
    with unit_of_work(sessions) as s:  # the district is spent: only the fen it pays none of (rounded down) are left
        svc.apply(s, command=svc.ApplyCommand(program, "b", 1_000_000), actor=world.sme_admin)
        last = s.scalars(select(VoucherGrantRow).order_by(VoucherGrantRow.id.desc())).first()
        assert last.amount_fen == 2 and last.funder_split == {"city": 2, "district": 0}
    with unit_of_work(sessions) as s:  # all of it expires unspent: ¥300,000 is the district's again
        returned = svc.expire_due_wallets(s, now=date(2099, 1, 1), actor=world.bureau)
        assert sorted(fen for _, fen in returned) == [2, 75_000_000]
    with unit_of_work(sessions) as s:
        svc.apply(s, command=svc.ApplyCommand(program, "c", 75_000_000), actor=world.sme_admin)
        assert s.scalars(select(VoucherGrantRow).order_by(VoucherGrantRow.id.desc())).first().amount_fen == 75_000_000
