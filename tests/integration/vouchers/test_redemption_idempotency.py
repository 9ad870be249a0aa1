"""Contract claims (POST /api/v1/redemptions) under an Idempotency-Key: a new key redeems (201), a retry
with the same claim answers the original redemption (200), another claim under the same key is a 409
`idempotency-conflict`, keys are per organisation, and two racing requests with one key redeem once,
on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.models.organisations import ApiTokenRow, OrganisationRow, UserRow
from suanli.db.models.vouchers import VoucherRedemptionRow, VoucherWalletRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import IdempotencyConflict, SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.services import ledger
from suanli.services import vouchers as svc

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
# Chengdu 2023, one review stage, no dated window and a validity counted from the grant: valid today.
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")
TEXT = TEXT[: TEXT.index("  - name: expert-review")] + TEXT[TEXT.index("  - name: officer-approval"):]
GRANT = 1_000_000


def _grant(sessions: sessionmaker[Session], world, *applicants: Principal) -> int:
    with unit_of_work(sessions) as s:
        program_id = svc.load_program(s, text=TEXT, actor=world.bureau).id
        svc.set_window(s, program_id=program_id, open=True, actor=world.bureau)
        for who in applicants:
            application = svc.apply(s, command=svc.ApplyCommand(program_id, "model training", GRANT), actor=who)
            svc.review(s, application_id=application.id, actor=world.bureau, approve=True)
    return program_id


def _claim(program_id: int, contract_id: int) -> svc.ContractClaim:
    return svc.ContractClaim(program_id=program_id, contract_id=contract_id)


def _another_sme(sessions: sessionmaker[Session]) -> Principal:
    with unit_of_work(sessions) as s:
        org = OrganisationRow(name="jinjiang-ai", name_zh="锦江智能", type="enterprise", city="成都", sectors=[],
                              sme=True, incubator=None, affiliated_centers=[], demo=False)
        s.add(org)
        s.flush()
        user = UserRow(username="jinjiang-admin", display_name="a", password_hash="x", role="org_admin",
                       organisation_id=org.id, active=True)
        s.add(user)
        s.flush()
        return Principal(user.id, user.username, org.id, Role.ORG_ADMIN)


def _token(sessions: sessionmaker[Session], who: Principal) -> dict[str, str]:
    value = secrets.token_urlsafe(32)
    with unit_of_work(sessions) as s:
        s.add(ApiTokenRow(token_hash=hashlib.sha256(value.encode()).hexdigest(), user_id=who.user_id,
                          expires_at=utcnow() + timedelta(hours=1)))
    return {"Authorization": f"Bearer {value}"}


def _redeemed(sessions: sessionmaker[Session], who: Principal) -> tuple[int, int]:
    with sessions() as s:
        count = s.scalar(select(func.count()).select_from(VoucherRedemptionRow)
                         .where(VoucherRedemptionRow.organisation_id == who.organisation_id))
        wallet = s.scalars(select(VoucherWalletRow).where(VoucherWalletRow.organisation_id == who.organisation_id)).one()
        return int(count or 0), int(wallet.redeemed_fen)


def test_a_retried_claim_answers_the_original_and_a_changed_one_is_a_conflict(api, sessions, world, contract) -> None:
    program_id = _grant(sessions, world, world.sme_admin)
    headers = _token(sessions, world.sme_admin)
    body = {"program_id": program_id, "contract_id": contract(world.sme_admin, "HT-2024-001")}
    first = api.client.post("/api/v1/redemptions", json=body, headers={**headers, "Idempotency-Key": "claim-1"})
    assert first.status_code == 201, first.text
    again = api.client.post("/api/v1/redemptions", json=body, headers={**headers, "Idempotency-Key": "claim-1"})
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    another = contract(world.sme_admin, "HT-2024-002")
    changed = api.client.post("/api/v1/redemptions", json={**body, "contract_id": another},
                              headers={**headers, "Idempotency-Key": "claim-1"})
    assert changed.status_code == 409
    assert changed.headers["content-type"].startswith("application/problem+json")
    assert changed.json()["type"].endswith("idempotency-conflict")
    assert _redeemed(sessions, world.sme_admin) == (1, first.json()["amount_fen"])
    with sessions() as s:
        assert ledger.check_consistency(s) == []


def test_a_claim_without_an_idempotency_key_is_refused_before_anything_moves(api, sessions, world, contract) -> None:
    program_id = _grant(sessions, world, world.sme_admin)
    body = {"program_id": program_id, "contract_id": contract(world.sme_admin, "HT-9")}
    answer = api.client.post("/api/v1/redemptions", json=body, headers=_token(sessions, world.sme_admin))
    assert 400 <= answer.status_code < 500 and answer.status_code != 404
    assert _redeemed(sessions, world.sme_admin) == (0, 0)


def test_a_new_key_for_an_already_redeemed_contract_is_still_a_double_claim(sessions, world, contract) -> None:
    program_id = _grant(sessions, world, world.sme_admin)
    contract_id = contract(world.sme_admin, "HT-1")
    with unit_of_work(sessions) as s:
        svc.claim_contract(s, claim=_claim(program_id, contract_id), actor=world.sme_admin, idempotency_key="k-1")
    with pytest.raises(SuanliError) as refused, unit_of_work(sessions) as s:
        svc.claim_contract(s, claim=_claim(program_id, contract_id), actor=world.sme_admin, idempotency_key="k-2")
    assert refused.value.status == 409 and refused.value.extra.get("rule") == "order.double-claim"
    assert _redeemed(sessions, world.sme_admin)[0] == 1


def test_keys_belong_to_one_organisation_so_two_tenants_may_use_the_same_key(sessions, world, contract) -> None:
    other = _another_sme(sessions)
    program_id = _grant(sessions, world, world.sme_admin, other)
    contracts = {"HT-A": contract(world.sme_admin, "HT-A"),
                 "HT-B": contract(other, "HT-B")}
    for who, number in ((world.sme_admin, "HT-A"), (other, "HT-B")):
        contract_id = contracts[number]
        with unit_of_work(sessions) as s:
            claimed = svc.claim_contract(s, claim=_claim(program_id, contract_id), actor=who, idempotency_key="same")
            assert not claimed.replayed and claimed.redemption.organisation_id == who.organisation_id
    with pytest.raises(IdempotencyConflict), unit_of_work(sessions) as s:
        svc.claim_contract(s, claim=_claim(program_id, contracts["HT-B"]), actor=world.sme_admin, idempotency_key="same")


def test_two_requests_racing_with_one_key_redeem_once_and_both_see_the_same_redemption(sessions, world, contract) -> None:
    program_id = _grant(sessions, world, world.sme_admin)
    contract_id = contract(world.sme_admin, "HT-RACE")
    barrier, answers, errors = threading.Barrier(2), [], []

    def send() -> None:
        barrier.wait()
        try:
            with unit_of_work(sessions) as s:
                claimed = svc.claim_contract(s, claim=_claim(program_id, contract_id), actor=world.sme_admin,
                                             idempotency_key="race")
                answers.append((claimed.redemption.id, claimed.replayed))
        except Exception as err:  # noqa: BLE001 - collected and shown by the assertion
            errors.append(repr(err))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(replayed for _, replayed in answers) == [False, True]
    assert len({rid for rid, _ in answers}) == 1
    count, redeemed = _redeemed(sessions, world.sme_admin)
    assert count == 1 and redeemed > 0
    with sessions() as s:
        assert ledger.check_consistency(s) == []
