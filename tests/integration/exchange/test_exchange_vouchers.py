"""A voucher for data (数据券) subsidises a data order under a program that covers data bought at the
exchange; the ledger balances and the same order is never subsidised twice."""

from __future__ import annotations

from typing import Any

from exchange_world import Exchange, assert_problem
from sqlalchemy import select

from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, account_code
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import ledger
from suanli.services import vouchers as voucher_service

PROGRAM = """
id: data-vouchers-test
title: {zh: 数据券（测试）, en: Data vouchers (test)}
issuer: {zh: 市数据局, en: City data bureau}
year: 2026
budget_fen: 100_000_000
side: demand
settlement: reimbursement  # the exchange clears the supplier in full; the voucher reimburses the buyer
apply_and_enjoy: true
demand:
  ratios: {data: 30, corpora: 30}
caps:
  per_organisation_fen: 10_000_000
orders:
  designated_providers: [suanli-data-exchange]
validity: {expires_on: 2099-12-31}
sources:
  - test
"""


def principal(exchange: Exchange, username: str) -> Principal:
    with exchange.api.sessions() as s:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one()
        return Principal(row.id, row.username, row.organisation_id, Role(row.role))


def granted_program(exchange: Exchange, amount_fen: int) -> int:
    bureau = exchange.api.organisation("data-bureau", OrganisationType.GOVERNMENT)
    exchange.api.user("officer", Role.PROGRAM_OFFICER, bureau)
    officer, buyer = principal(exchange, "officer"), principal(exchange, "buyer")
    with unit_of_work(exchange.api.sessions) as s:
        program = voucher_service.load_program(s, text=PROGRAM, actor=officer)
        voucher_service.set_window(s, program_id=program.id, open=True, actor=officer)
        program_id = program.id
    with unit_of_work(exchange.api.sessions) as s:
        command = voucher_service.ApplyCommand(program_id=program_id, project="交通模型训练数据",
                                               requested_fen=amount_fen)
        application = voucher_service.apply(s, command=command, actor=buyer)
        assert application.status == "granted", application.status
    return program_id


def natural(exchange: Exchange, code: str) -> int:
    with exchange.api.sessions() as s:
        rows = [a for a in ledger.list_accounts(s) if a.code == code]
        return ledger.natural_balance(rows[0]) if rows else 0


def test_a_data_voucher_pays_30_percent_of_a_data_order_and_the_ledger_balances(exchange: Any) -> None:
    c, h, orgs = exchange.c, exchange.h, exchange.orgs
    program_id = granted_program(exchange, 1_000_000)
    pid, _vid, _cert = exchange.listed(price_fen=100_001)
    order = c.post("/api/v1/exchange/orders", headers=h("buyer"),
                   json={"product_id": pid, "accept_licence": True, "voucher_program_id": program_id})
    assert order.status_code == 201, order.text
    placed = order.json()
    assert placed["total_fen"] == 100_001 and placed["subsidy_fen"] == 30_000  # 30%, rounded down
    receivable = account_code(AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, orgs["buyer"])
    wallet = account_code(AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, orgs["buyer"],
                          f"program:{program_id}")
    assert natural(exchange, receivable) == 100_001 - 30_000  # what the buyer still owes
    assert natural(exchange, wallet) == 1_000_000 - 30_000
    assert natural(exchange, account_code(AccountPurpose.PROVIDER_PAYABLE, OwnerKind.ORGANISATION,
                                          orgs["supplier"])) == 100_001 - 3_000  # fee: 3% half up
    invoice = c.get(f"/api/v1/exchange/orders/{placed['id']}/invoice", headers=h("buyer")).json()
    assert (invoice["total_fen"], invoice["voucher_fen"], invoice["due_fen"]) == (100_001, 30_000, 70_001)
    with exchange.api.sessions() as s:
        assert ledger.check_consistency(s) == []  # every transfer balances, balances match their legs
    assert c.get("/api/v1/exchange/statistics").json()["subsidy_fen"] == 30_000


def test_a_voucher_the_buyer_does_not_hold_refuses_the_order_and_nothing_is_written(exchange: Any) -> None:
    c, h = exchange.c, exchange.h
    program_id = granted_program(exchange, 1_000_000)
    pid, _vid, _cert = exchange.listed(price_fen=10_000)
    refused = c.post("/api/v1/exchange/orders", headers=h("stranger"),
                     json={"product_id": pid, "accept_licence": True, "voucher_program_id": program_id})
    assert refused.status_code in (403, 409, 422), refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert c.get("/api/v1/exchange/statistics").json()["trades"] == 0
    assert_problem(c.get("/api/v1/exchange/orders/1", headers=h("stranger")), 404, "exchange-not-found")


def test_an_order_naming_a_program_that_does_not_exist_is_a_404_and_nothing_is_written(exchange: Any) -> None:
    c, h = exchange.c, exchange.h
    pid, _vid, _cert = exchange.listed(price_fen=10_000)
    refused = c.post("/api/v1/exchange/orders", headers=h("buyer"),
                     json={"product_id": pid, "accept_licence": True, "voucher_program_id": 987_654})
    assert assert_problem(refused, 404, "voucher-not-found")["detail"] == "voucher program 987654 does not exist"
    assert c.get("/api/v1/exchange/statistics").json()["trades"] == 0
