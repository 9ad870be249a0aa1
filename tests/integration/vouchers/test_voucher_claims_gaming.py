"""Voucher claims that cannot be gamed, on SQLite and PostgreSQL.

One claim per bill whoever races (provider-xor-user, both sides, the last of the budget: 50 racing
pairs each, real threads and connections, zero double payments, no server error); the side comes from
the grant, never the request; a contract number re-spelled is the same contract; self-declared facts
are refused; another tenant never learns that a contract exists."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.models.vouchers import VoucherGrantRow, VoucherProgramRow, VoucherRedemptionRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import Side
from suanli.services import ledger
from suanli.services import vouchers as svc

PAIRS = 50


def program_text(code: str, side: str, *, budget_fen: int = 10**12, settlement: str = "direct_to_claimant",
                 extra: str = "") -> str:
    sides = {"demand": "demand:\n  ratios: {compute: 30}\n", "supply": "supply:\n  ratios: {compute: 10}\n"}
    wanted = ["demand", "supply"] if side in ("both", "provider_xor_user") else [side]
    return (f"id: {code}\ntitle: {{zh: 测试, en: test}}\nissuer: {{zh: 局, en: bureau}}\nyear: 2023\n"
            f"budget_fen: {budget_fen}\nside: {side}\nsettlement: {settlement}\napply_and_enjoy: true\n"
            + "".join(sides[s] for s in wanted) + "orders: {through_platform: false}\n"
            "validity: {valid_days: 3650}\n" + extra)


def _open(sessions: sessionmaker[Session], world: Any, text: str) -> int:
    with unit_of_work(sessions) as s:
        program = svc.load_program(s, text=text, actor=world.bureau).id
        svc.set_window(s, program_id=program, open=True, actor=world.bureau)
    return program


def _apply(sessions: sessionmaker[Session], who: Principal, program: int, side: str, fen: int = 10**9) -> None:
    with unit_of_work(sessions) as s:
        svc.apply(s, command=svc.ApplyCommand(program, "training", fen, side=Side(side)), actor=who)


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment, each in its own thread and unit of work."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except SuanliError as err:
            results[i] = err
        except Exception as err:  # noqa: BLE001 - a crash is a failure the assertion shows
            results[i] = RuntimeError(repr(err))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _claimer(sessions: sessionmaker[Session], who: Principal, program: int, contract: int, key: str) -> Callable[[], object]:
    def call() -> object:
        with unit_of_work(sessions) as s:
            return svc.claim_contract(s, claim=svc.ContractClaim(program, contract), actor=who, idempotency_key=key).redemption.id
    return call


def _check_one_payment_per_bill(sessions: sessionmaker[Session], results: list[list[object]]) -> None:
    for pair in results:
        crashes = [r for r in pair if isinstance(r, RuntimeError) or (isinstance(r, SuanliError) and r.status >= 500)]
        assert not crashes, crashes
        paid = [r for r in pair if isinstance(r, int)]
        refused = [r for r in pair if isinstance(r, SuanliError)]
        assert len(paid) == 1 and all(r.status in (409, 422) for r in refused), pair
    with sessions() as s:
        per_bill = s.execute(select(VoucherRedemptionRow.basis, func.count()).group_by(VoucherRedemptionRow.basis)).all()
        assert len(per_bill) == len(results) and all(n == 1 for _, n in per_bill)
        assert ledger.check_consistency(s) == []


@pytest.mark.parametrize("side", ["provider_xor_user", "both"])
def test_a_user_and_a_provider_racing_on_one_contract_are_paid_once(sessions, world, contract, side) -> None:
    program = _open(sessions, world, program_text(f"race-{side.replace('_', '-')}", side))
    _apply(sessions, world.sme_admin, program, "demand")
    _apply(sessions, world.provider_admin, program, "supply")
    results = []
    for i in range(PAIRS):
        bill = contract(world.sme_admin, f"RACE-{i}", 10_000, through_platform=False)
        results.append(_race(_claimer(sessions, world.sme_admin, program, bill, f"u{i}"),
                             _claimer(sessions, world.provider_admin, program, bill, f"p{i}")))
    _check_one_payment_per_bill(sessions, results)


def test_two_programs_racing_for_one_contract_pay_it_once(sessions, world, contract) -> None:
    first = _open(sessions, world, program_text("race-one", "demand"))
    second = _open(sessions, world, program_text("race-two", "demand"))
    for program in (first, second):
        _apply(sessions, world.sme_admin, program, "demand")
    results = []
    for i in range(PAIRS):
        bill = contract(world.sme_admin, f"TWO-{i}", 10_000, through_platform=False)
        results.append(_race(_claimer(sessions, world.sme_admin, first, bill, f"a{i}"),
                             _claimer(sessions, world.sme_admin, second, bill, f"b{i}")))
    _check_one_payment_per_bill(sessions, results)


def _tenant(sessions: sessionmaker[Session], name: str) -> Principal:
    with unit_of_work(sessions) as s:
        org = OrganisationRow(name=name, name_zh=name, type="enterprise", city="成都", sectors=[], sme=True,
                              incubator=None, affiliated_centers=[], demo=False)
        s.add(org)
        s.flush()
        user = UserRow(username=f"{name}-admin", display_name=name, password_hash="x", role="org_admin",
                       organisation_id=org.id, active=True)
        s.add(user)
        s.flush()
        return Principal(user.id, user.username, org.id, Role.ORG_ADMIN)


def test_the_last_of_the_budget_racing_approvals_never_overspend(sessions, world) -> None:
    text = program_text("last-budget", "demand", budget_fen=10 * 1_000).replace("apply_and_enjoy: true\n", "") + (
        "review_stages:\n  - {name: approval, role: program_officer, actor: {zh: 经办人, en: officer}}\n")
    program = _open(sessions, world, text)
    applications = []
    for i in range(PAIRS):
        who = _tenant(sessions, f"firm-{i}")
        with unit_of_work(sessions) as s:
            applications.append(svc.apply(s, command=svc.ApplyCommand(program, "training", 1_000), actor=who).id)

    def approve(application: int) -> Callable[[], object]:
        def call() -> object:
            with unit_of_work(sessions) as s:
                return svc.review(s, application_id=application, actor=world.bureau, decision="approve").id
        return call

    results = []
    for i in range(0, PAIRS, 2):
        results += _race(approve(applications[i]), approve(applications[i + 1]))
    assert not [r for r in results if isinstance(r, RuntimeError) or (isinstance(r, SuanliError) and r.status >= 500)]
    granted = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, SuanliError)]
    assert len(granted) == 10 and len(refused) == PAIRS - 10
    assert {r.extra.get("rule") for r in refused} == {"budget.remaining"}
    with sessions() as s:
        row = s.scalars(select(VoucherProgramRow)).one()
        assert row.granted_fen == 10_000 and s.scalar(select(func.sum(VoucherGrantRow.amount_fen))) == 10_000
        assert ledger.check_consistency(s) == []


def test_a_contract_number_re_spelled_is_the_same_contract(sessions, world, contract) -> None:
    first = contract(world.sme_admin, "BILL-aa6ba721", through_platform=False)
    for spelling in ("bill-aa6ba721", " BILL-aa6ba721", "BILL_aa6ba721", "合同BILL-aa6ba721", "No. BILL aa6ba721",
                     "ＢＩＬＬ－ａａ６ｂａ７２１"):
        with pytest.raises(SuanliError) as again, unit_of_work(sessions) as s:
            svc.declare_contract(s, command=svc.DeclareContract(world.provider_admin.organisation_id, spelling, 100_000,
                                                                date(2023, 2, 1)), actor=world.sme_admin)
        assert again.value.status == 409 and again.value.extra["rule"] == "contract.once"
    # Another buyer may declare the same spelling (it learns nothing), but the provider confirms one.
    with unit_of_work(sessions) as s:
        squat = svc.declare_contract(s, command=svc.DeclareContract(world.provider_admin.organisation_id,
                                                                    "bill_AA6BA721", 100_000, date(2023, 2, 1)),
                                     actor=world.big_admin).id
    with pytest.raises(SuanliError) as twice, unit_of_work(sessions) as s:
        svc.confirm_contract(s, contract_id=squat, actor=world.provider_admin)
    assert twice.value.status == 409 and twice.value.extra["rule"] == "contract.number-unique"
    with sessions() as s:
        assert svc.readable_contract(s, contract_id=first, actor=world.sme_admin).status == "confirmed"


def test_claims_over_http_take_side_and_facts_from_the_grant_and_the_record(api, sessions, world, contract) -> None:
    program = _open(sessions, world, program_text("http-claims", "both", settlement="reimbursement"))
    _apply(sessions, world.sme_admin, program, "demand")
    unpaid = contract(world.sme_admin, "HT-UNPAID", paid=False, through_platform=False)
    paid = contract(world.sme_admin, "HT-PAID", through_platform=False)
    buyer = api_login(api, sessions, world.sme_admin)
    other = api_login(api, sessions, world.big_admin)
    c = api.client

    def claim(body: dict[str, Any], who: dict[str, str], key: str) -> Any:
        return c.post("/api/v1/redemptions", json=body, headers={**who, "Idempotency-Key": key})

    for flag in ({"side": "supply"}, {"contract_paid": True}, {"through_platform": True}, {"amount_fen": 10**9}):
        refused = claim({"program_id": program, "contract_id": paid, **flag}, buyer, f"flag-{next(iter(flag))}")
        assert refused.status_code == 422, refused.text
    assert claim({"program_id": program, "contract_id": unpaid}, buyer, "unpaid").json()["rule"] == "order.contract-paid"
    # Another tenant: the contract is a 404 to read and to claim, like one that does not exist.
    assert c.get(f"/api/v1/contracts/{paid}", headers=other).status_code == 404
    assert c.get("/api/v1/contracts/999999", headers=other).status_code == 404
    assert claim({"program_id": program, "contract_id": paid}, other, "theirs").status_code == 404
    assert c.get("/api/v1/contracts", headers=other).json() == []
    # A demand-side grant claims as the buyer; as the provider's own contract it would be refused.
    done = claim({"program_id": program, "contract_id": paid}, buyer, "mine")
    assert done.status_code == 201, done.text
    assert (done.json()["side"], done.json()["amount_fen"]) == ("demand", 30_000)
    provider = api_login(api, sessions, world.provider_admin)
    assert c.get(f"/api/v1/contracts/{paid}", headers=provider).json()["status"] == "confirmed"
    _apply(sessions, world.provider_admin, program, "supply")
    second = claim({"program_id": program, "contract_id": paid}, provider, "supply-side")
    assert second.status_code == 409 and second.json()["rule"] == "order.double-claim"  # one claim per bill


def api_login(api: Any, sessions: sessionmaker[Session], who: Principal) -> dict[str, str]:
    import hashlib
    import secrets
    from datetime import timedelta

    from suanli.db.models.base import utcnow
    from suanli.db.models.organisations import ApiTokenRow

    value = secrets.token_urlsafe(32)
    with unit_of_work(sessions) as s:
        s.add(ApiTokenRow(token_hash=hashlib.sha256(value.encode()).hexdigest(), user_id=who.user_id,
                          expires_at=utcnow() + timedelta(hours=1)))
    return {"Authorization": f"Bearer {value}"}


def test_two_programs_of_one_issuer_racing_grants_never_pass_the_yearly_cap(sessions, world) -> None:
    """One organisation applying to two programs of the same issuer at the same moment: the yearly cap
    across the issuer (¥3,000 here) holds, because both grants lock the organisation's row."""
    cap = "caps: {per_organisation_issuer_year_fen: 300_000}\n"
    first = _open(sessions, world, program_text("issuer-race-a", "demand") + cap)
    second = _open(sessions, world, program_text("issuer-race-b", "demand") + cap)

    def applier(who: Principal, program: int) -> Callable[[], object]:
        def call() -> object:
            with unit_of_work(sessions) as s:
                return svc.apply(s, command=svc.ApplyCommand(program, "training", 200_000), actor=who).id
        return call

    tenants = [_tenant(sessions, f"issuer-firm-{i}") for i in range(PAIRS)]
    results = [_race(applier(who, first), applier(who, second)) for who in tenants]
    crashes = [r for pair in results for r in pair if isinstance(r, RuntimeError) or (
        isinstance(r, SuanliError) and r.status >= 500)]
    assert not crashes, crashes
    with sessions() as s:
        totals = dict(s.execute(select(VoucherGrantRow.organisation_id, func.sum(VoucherGrantRow.amount_fen))
                                .group_by(VoucherGrantRow.organisation_id)).all())
    # 即申即享 limits the second grant to what the cap leaves: ¥2,000 + ¥1,000 for every organisation.
    assert totals == {who.organisation_id: 300_000 for who in tenants}
