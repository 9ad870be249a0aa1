"""Many officers approving grants and many meters redeeming at once never take a program past its
budget or a wallet past its grant, on SQLite (serialised writers) and PostgreSQL (row locks)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.models.vouchers import VoucherGrantRow, VoucherRedemptionRow, VoucherWalletRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.services import ledger
from suanli.services import vouchers as svc

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
DAY = date(2023, 3, 1)
# Chengdu 2023 with a tiny budget and one review stage, so the budget is the binding limit.
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace("budget_fen: 1_000_000_000", "budget_fen: 50_000")
TEXT = TEXT[: TEXT.index("  - name: expert-review")] + TEXT[TEXT.index("  - name: officer-approval"):]
APPLICANTS = 12


def _applicants(s) -> list[Principal]:
    people = []
    for i in range(APPLICANTS):
        org = OrganisationRow(name=f"sme-{i}", name_zh=f"企业{i}", type="enterprise", city="成都", sectors=[], sme=True,
                              incubator=None, affiliated_centers=[], demo=False)
        s.add(org)
        s.flush()
        user = UserRow(username=f"admin-{i}", display_name="a", password_hash="x", role="org_admin",
                       organisation_id=org.id, active=True)
        s.add(user)
        s.flush()
        people.append(Principal(user.id, user.username, org.id, Role.ORG_ADMIN))
    return people


def test_simultaneous_approvals_and_redemptions_stay_within_budget_and_grant(sessions, world, metered) -> None:
    with unit_of_work(sessions) as s:
        program_id = svc.load_program(s, text=TEXT, actor=world.bureau).id
        svc.set_window(s, program_id=program_id, open=True, actor=world.bureau)
        applicants = _applicants(s)
        apps = [svc.apply(s, command=svc.ApplyCommand(program_id, "p", 10_000), actor=p, today=DAY).id
                for p in applicants]
        # One organisation already holds a 10,000 fen grant and has 12 metered usages of 10,000 fen.
        svc.review(s, application_id=apps[0], actor=world.bureau, approve=True, today=DAY)
        usages = [metered(s, applicants[0], 10_000, step=str(i))[1] for i in range(APPLICANTS)]

    def approve(application_id: int) -> str:
        try:
            with unit_of_work(sessions) as s:
                svc.review(s, application_id=application_id, actor=world.officer2, approve=True, today=DAY)
            return "granted"
        except SuanliError as err:
            return err.extra.get("rule", err.slug)

    def redeem(usage_id: int) -> int:
        with unit_of_work(sessions) as s:
            found = svc.redeem_usage(s, usage_record_id=usage_id, today=DAY)
            return int(found.amount_fen) if found else 0

    with ThreadPoolExecutor(max_workers=8) as pool:
        grants = [pool.submit(approve, a) for a in apps[1:]]
        redeemed = [pool.submit(redeem, u) for u in usages]
        outcomes = [f.result() for f in grants]
        paid = [f.result() for f in redeemed]

    assert outcomes.count("granted") == 4 and set(outcomes) == {"granted", "budget.remaining"}
    assert sum(paid) == 10_000 and sorted(paid)[-4:] == [1_000, 3_000, 3_000, 3_000]
    with sessions() as s:
        program = svc.program_row(s, program_id)
        total = s.scalar(select(func.sum(VoucherGrantRow.amount_fen)))
        assert total == program.granted_fen == 50_000 and svc.budget_left(program) == 0
        assert ledger.natural_balance(ledger.get_account(s, account_id=program.budget_account_id)) == 0
        wallet = s.scalars(select(VoucherWalletRow).where(VoucherWalletRow.organisation_id
                                                          == applicants[0].organisation_id)).one()
        assert wallet.redeemed_fen == 10_000
        assert s.scalar(select(func.sum(VoucherRedemptionRow.amount_fen))) == 10_000
        assert ledger.check_consistency(s) == []
