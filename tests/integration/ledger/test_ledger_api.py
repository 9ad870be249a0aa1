"""The ledger over HTTP on both databases: transfers with an Idempotency-Key, precise 4xx for bad
input with nothing written, tenants confined to their own accounts, batch approval by finance."""

from __future__ import annotations

from typing import Any

from suanli.db.uow import unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import ledger


def test_transfers_replay_by_key_and_bad_input_gets_a_precise_problem(api: Any) -> None:
    platform = api.organisation("platform", OrganisationType.PLATFORM)
    buyer = api.organisation("buyer")
    operator = api.user("operator", Role.PLATFORM_OPERATOR, platform)
    member = api.user("member", Role.ORG_MEMBER, buyer)
    with unit_of_work(api.sessions) as s:
        cash = ledger.open_account(s, purpose=AccountPurpose.CASH, owner_kind=OwnerKind.PLATFORM).id
        receivable = ledger.open_account(s, purpose=AccountPurpose.ORG_RECEIVABLE, owner_kind=OwnerKind.ORGANISATION,
                                         owner_id=buyer).id
    body = {"legs": [{"account_id": cash, "side": "debit", "amount_fen": 500},
                     {"account_id": receivable, "side": "credit", "amount_fen": 500}], "memo": "payment"}
    first = api.client.post("/api/v1/ledger/transfers", json=body, headers={**operator, "Idempotency-Key": "pay-1"})
    assert first.status_code == 201, first.text
    again = api.client.post("/api/v1/ledger/transfers", json=body, headers={**operator, "Idempotency-Key": "pay-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and again.json()["replayed"]

    def problem(payload: dict[str, Any], key: str) -> tuple[int, str]:
        r = api.client.post("/api/v1/ledger/transfers", json=payload, headers={**operator, "Idempotency-Key": key})
        return r.status_code, r.json().get("type", "").rsplit("/", 1)[-1]

    changed = {**body, "memo": "other"}
    assert problem(changed, "pay-1") == (409, "idempotency-conflict")
    assert problem({**body, "currency": "USD"}, "usd") == (422, "unsupported-currency")
    zero = {"legs": [{**leg, "amount_fen": 0} for leg in body["legs"]]}
    assert problem(zero, "zero") == (422, "invalid-amount")
    unknown = {"legs": [body["legs"][0], {**body["legs"][1], "account_id": 99_999}]}
    assert problem(unknown, "unknown") == (404, "unknown-account")
    overdraft = {"legs": [{"account_id": receivable, "side": "debit", "amount_fen": 1},
                          {"account_id": cash, "side": "credit", "amount_fen": 10_000}]}
    assert problem(overdraft, "unbalanced")[0] == 422
    closed = api.client.post("/api/v1/ledger/periods/2020-01/close", headers=operator)
    assert closed.status_code == 204
    listed = api.client.get("/api/v1/ledger/transfers", headers=operator).json()
    assert len(listed) == 1  # nothing but the first transfer was written

    mine = api.client.get("/api/v1/ledger/accounts", headers=member).json()
    assert [a["id"] for a in mine] == [receivable] and mine[0]["balance_fen"] == -500
    # the platform's cash account is not this tenant's: "not found", never a confirmation that it exists
    assert api.client.get(f"/api/v1/ledger/accounts/{cash}", headers=member).status_code == 404
    assert api.client.post("/api/v1/ledger/transfers", json=body,
                           headers={**member, "Idempotency-Key": "x"}).status_code == 403
    statement = api.client.get(f"/api/v1/ledger/accounts/{receivable}/statement", headers=member).json()
    assert statement["closing_fen"] == -500 and statement["entries"][0]["source"] == "manual:"


def test_holds_post_and_void_over_http(api: Any) -> None:
    platform = api.organisation("platform", OrganisationType.PLATFORM)
    finance = api.user("fin", Role.FINANCE_OFFICER, platform)
    with unit_of_work(api.sessions) as s:
        receivable = ledger.open_account(s, purpose=AccountPurpose.ORG_RECEIVABLE, owner_kind=OwnerKind.ORGANISATION,
                                         owner_id=platform).id
        payable = ledger.open_account(s, purpose=AccountPurpose.PROVIDER_PAYABLE, owner_kind=OwnerKind.ORGANISATION,
                                      owner_id=platform).id
    hold = api.client.post("/api/v1/ledger/holds", headers={**finance, "Idempotency-Key": "h"},
                           json={"debit_account_id": receivable, "credit_account_id": payable, "amount_fen": 900})
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["id"]
    posted = api.client.post(f"/api/v1/ledger/holds/{hold_id}/post", headers={**finance, "Idempotency-Key": "p"},
                             json={"amount_fen": 1_000})
    assert posted.status_code == 422 and posted.json()["type"].endswith("post-exceeds-reservation")
    posted = api.client.post(f"/api/v1/ledger/holds/{hold_id}/post", headers={**finance, "Idempotency-Key": "p2"},
                             json={"amount_fen": 400})
    assert posted.status_code == 201 and posted.json()["parent_id"] == hold_id
    again = api.client.post(f"/api/v1/ledger/holds/{hold_id}/void", headers={**finance, "Idempotency-Key": "v"}, json={})
    assert again.status_code == 409
    assert api.client.get(f"/api/v1/ledger/transfers/{hold_id}", headers=finance).json()["status"] == "posted"
    assert api.client.post("/api/v1/ledger/batches", headers=finance, json={"month": "2020-02"}).status_code == 422
