"""The authorisation rules table: for every route of the app, who may call it and how to build one
valid request. The matrix test enumerates `app.routes` and fails on any route missing here.

To add a route: one line in RULES (API) or WEB (pages). `allow` names roles (or PUBLIC / SIGNED_IN);
`tenant=True` says the request names one tenant's resource, so a tenant role calling it about another
tenant must be refused (403/404) even when its role is allowed; `request` builds the keyword arguments
of `client.request` from the world and the tenant key ("own" or "other" resolved to A/B/P).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adversarial_world import (
    DATA,
    EVIDENCE,
    FEDERATION,
    JOB,
    MONTH,
    PASSWORD,
    PROGRAM_TEXT,
    World,
    product_body,
)

from suanli.domain.organisations import Role

OP, OA, OM = Role.PLATFORM_OPERATOR, Role.ORG_ADMIN, Role.ORG_MEMBER
PA, PO, FO, AU = Role.PROVIDER_ADMIN, Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER, Role.AUDITOR
SIGNED_IN = frozenset(Role)
PUBLIC = frozenset({"anonymous", *Role})
TREASURY = frozenset({OP, FO})
_serial = itertools.count(1)

Build = Callable[[World, str], dict[str, Any]]


def none(_w: World, _t: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Rule:
    allow: frozenset[Any]
    tenant: bool = False
    request: Build = none
    fresh_token: bool = False  # the call revokes the token it is made with
    public_data: bool = False  # the answer is public by design (公示), so no canary check


def key(w: World, t: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"headers": {"Idempotency-Key": f"matrix-{next(_serial)}"}}
    if body is not None:
        out["json"] = body
    return out


def transfer(w: World, t: str) -> dict[str, Any]:
    cash, equity = w.globals["cash_account"], w.globals["equity_account"]
    return key(w, t, {"legs": [{"account_id": cash, "side": "debit", "amount_fen": 1},
                               {"account_id": equity, "side": "credit", "amount_fen": 1}]})


def hold(w: World, t: str) -> dict[str, Any]:
    return key(w, t, {"debit_account_id": w.globals["cash_account"], "credit_account_id": w.globals["equity_account"],
                      "amount_fen": 1})


def login(w: World, t: str) -> dict[str, Any]:
    return {"json": {"username": "admin_a" if t == "A" else "admin_b", "password": PASSWORD}}


def new_user(w: World, t: str) -> dict[str, Any]:
    return {"json": {"username": f"matrix-user-{next(_serial)}", "password": "long-enough-pass-42",
                     "role": "org_member", "organisation_id": w.orgs[t]}}


def new_org(w: World, t: str) -> dict[str, Any]:
    return {"json": {"name": f"matrix-org-{next(_serial)}", "name_zh": "测试", "type": "enterprise", "city": "成都"}}


def federation(w: World, t: str) -> dict[str, Any]:
    return {"json": {"yaml": FEDERATION}}


def application(w: World, t: str) -> dict[str, Any]:
    return {"json": {"program_id": w.globals["program_id"], "project": f"p{next(_serial)}", "requested_fen": 1000}}


def claim(w: World, t: str) -> dict[str, Any]:
    return key(w, t, {"program_id": w.globals["program_id"], "contract_id": w.ids[t].get("contract_id", 1)})


def contract(w: World, t: str) -> dict[str, Any]:
    return {"json": {"provider_organisation_id": w.orgs["P"], "number": f"M-{next(_serial)}", "amount_fen": 100,
                     "signed_on": "2024-01-02", "buyer_organisation_id": w.orgs[t] if t in ("A", "B") else w.orgs["A"]}}


def upload(w: World, t: str) -> dict[str, Any]:
    return {"data": {"kind": "invoice"}, "files": {"file": (f"m-{next(_serial)}.pdf", b"%PDF matrix", "application/pdf")}}


def body(data: dict[str, Any]) -> Build:
    return lambda _w, _t: {"json": data}


def params(data: dict[str, Any]) -> Build:
    return lambda _w, _t: {"params": data}


def invoice(w: World, t: str) -> dict[str, Any]:
    return {"json": {"organisation_id": w.orgs[t], "month": MONTH}}


V1 = "/api/v1"
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule(PUBLIC),
    ("GET", "/readyz"): Rule(PUBLIC),
    # auth
    ("POST", f"{V1}/auth/login"): Rule(PUBLIC, request=login, public_data=True),  # answers the caller's own name
    ("POST", f"{V1}/auth/logout"): Rule(SIGNED_IN, fresh_token=True),
    ("GET", f"{V1}/auth/me"): Rule(SIGNED_IN),
    # organisations and users
    ("GET", f"{V1}/organisations"): Rule(SIGNED_IN),
    ("POST", f"{V1}/organisations"): Rule(frozenset({OP}), request=new_org),
    ("GET", f"{V1}/organisations/{{organisation_id}}"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/users"): Rule(frozenset({OP, OA})),
    ("POST", f"{V1}/users"): Rule(frozenset({OP, OA}), tenant=True, request=new_user),
    # federation
    ("GET", f"{V1}/centers"): Rule(SIGNED_IN),
    ("GET", f"{V1}/centers/{{name}}"): Rule(SIGNED_IN),
    ("GET", f"{V1}/offerings"): Rule(SIGNED_IN),
    ("POST", f"{V1}/federation"): Rule(frozenset({OP}), request=federation),
    ("POST", f"{V1}/centers/{{name}}/health"): Rule(frozenset({OP})),
    # jobs
    ("POST", f"{V1}/jobs"): Rule(frozenset({OA, OM}), request=body(JOB)),
    ("GET", f"{V1}/jobs"): Rule(SIGNED_IN - {PA}),
    ("GET", f"{V1}/jobs/{{job_id}}"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/jobs/{{job_id}}/cancel"): Rule(frozenset({OP, OA, OM}), tenant=True),
    ("GET", f"{V1}/jobs/{{job_id}}/logs"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/quotes"): Rule(SIGNED_IN, request=body({"devices": 1})),
    # ledger
    ("GET", f"{V1}/ledger/accounts"): Rule(SIGNED_IN),
    ("GET", f"{V1}/ledger/accounts/{{account_id}}"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/ledger/accounts/{{account_id}}/statement"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/ledger/transfers"): Rule(TREASURY, request=transfer),
    ("GET", f"{V1}/ledger/transfers"): Rule(TREASURY),
    ("GET", f"{V1}/ledger/transfers/{{transfer_id}}"): Rule(TREASURY),
    ("POST", f"{V1}/ledger/transfers/{{transfer_id}}/reverse"): Rule(TREASURY, request=lambda w, t: key(w, t, {})),
    ("POST", f"{V1}/ledger/holds"): Rule(TREASURY, request=hold),
    ("POST", f"{V1}/ledger/holds/{{hold_id}}/post"): Rule(TREASURY, request=lambda w, t: key(w, t, {"amount_fen": 1,
                                                                                                   "final": False})),
    ("POST", f"{V1}/ledger/holds/{{hold_id}}/void"): Rule(TREASURY, request=lambda w, t: key(w, t, {})),
    ("POST", f"{V1}/ledger/periods/{{month}}/close"): Rule(TREASURY),
    ("GET", f"{V1}/ledger/invoices"): Rule(SIGNED_IN),
    ("POST", f"{V1}/ledger/invoices"): Rule(TREASURY, request=invoice),
    ("GET", f"{V1}/ledger/invoices/{{invoice_id}}"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/ledger/invoices/{{invoice_id}}/export"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/ledger/statements"): Rule(TREASURY),
    ("GET", f"{V1}/ledger/statements/{{statement_id}}"): Rule(TREASURY),
    ("GET", f"{V1}/ledger/statements/{{statement_id}}/export"): Rule(TREASURY),
    ("GET", f"{V1}/ledger/batches"): Rule(TREASURY),
    ("POST", f"{V1}/ledger/batches"): Rule(TREASURY, request=body({"month": "2001-02"})),
    ("POST", f"{V1}/ledger/redemptions:batch"): Rule(TREASURY, request=body({"items": []})),
    ("POST", f"{V1}/ledger/batches/{{batch_id}}/approve"): Rule(frozenset({FO})),
    ("POST", f"{V1}/ledger/batches/{{batch_id}}/pay"): Rule(frozenset({FO})),
    # audit (the public key needs no sign-in: anyone checks what the platform hands out)
    ("GET", f"{V1}/audit/public-key"): Rule(PUBLIC),
    ("GET", f"{V1}/audit/heads/latest"): Rule(SIGNED_IN),
    ("GET", f"{V1}/audit/events"): Rule(SIGNED_IN),
    ("GET", f"{V1}/audit/events/{{seq}}/receipt"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/audit/outbox/{{outbox_id}}/receipt"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/audit/consistency"): Rule(SIGNED_IN, request=params({"first": 1, "second": 2})),
    # vouchers
    ("POST", f"{V1}/programs"): Rule(frozenset({PO, OP}), request=lambda w, t: {"content": PROGRAM_TEXT}),
    ("GET", f"{V1}/programs"): Rule(SIGNED_IN),
    ("GET", f"{V1}/programs/{{program_id}}"): Rule(SIGNED_IN),
    ("POST", f"{V1}/programs/{{program_id}}/window"): Rule(frozenset({PO, OP}), request=body({"open": True})),
    # the program editor: officers propose and publish; finance and auditors read drafts too
    ("POST", f"{V1}/program-drafts"): Rule(frozenset({PO, OP}), request=lambda w, t: {"content": PROGRAM_TEXT}),
    ("GET", f"{V1}/program-drafts"): Rule(frozenset({PO, OP, FO, AU})),
    ("GET", f"{V1}/program-drafts/{{draft_id}}"): Rule(frozenset({PO, OP, FO, AU})),
    ("POST", f"{V1}/program-drafts/{{draft_id}}/publish"): Rule(frozenset({PO, OP})),
    ("POST", f"{V1}/program-drafts/{{draft_id}}/withdraw"): Rule(frozenset({PO, OP})),
    ("POST", f"{V1}/applications"): Rule(frozenset({OA, PA}), request=application),
    ("GET", f"{V1}/applications"): Rule(SIGNED_IN),
    ("POST", f"{V1}/applications/{{application_id}}/reviews"): Rule(frozenset({PO, FO}), tenant=True,
                                                                   request=body({"approve": False})),
    ("GET", f"{V1}/applications/{{application_id}}"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/applications/{{application_id}}/document-requests"): Rule(frozenset({PO, FO}), tenant=True,
                                                                             request=body({"reason": "请补充"})),
    ("GET", f"{V1}/applications/{{application_id}}/document-requests"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/applications/{{application_id}}/document-requests/{{request_id}}/answer"): Rule(
        frozenset({OA, PA}), tenant=True, request=body({})),
    ("GET", f"{V1}/applications/{{application_id}}/grant"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/applications/{{application_id}}/grant/receipt"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/redemptions/{{redemption_id}}/receipt"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/wallets"): Rule(SIGNED_IN),
    ("GET", f"{V1}/redemptions"): Rule(SIGNED_IN),
    ("POST", f"{V1}/redemptions"): Rule(frozenset({OA, PA}), request=claim),
    ("POST", f"{V1}/redemptions/{{redemption_id}}/clawback"): Rule(frozenset({PO, OP}), request=body({"reason": "x"})),
    ("GET", f"{V1}/programs/{{program_id}}/forecast"): Rule(frozenset({OP, PO, FO, AU})),
    ("GET", f"{V1}/programs/{{program_id}}/disclosure"): Rule(SIGNED_IN, public_data=True),
    ("POST", f"{V1}/programs/{{program_id}}/deposits"): Rule(frozenset({OP, PO, FO}), request=lambda w, t: key(
        w, t, {"amount_fen": 1})),
    ("POST", f"{V1}/programs/{{program_id}}/reserves"): Rule(frozenset({OP, PO, FO}), request=lambda w, t: key(
        w, t, {"provider_organisation_id": w.orgs["P"], "amount_fen": 1})),
    ("GET", f"{V1}/programs/{{program_id}}/reserves"): Rule(SIGNED_IN),
    ("POST", f"{V1}/wallets/expire"): Rule(frozenset({OP, PO}), request=body({})),
    ("POST", f"{V1}/contracts"): Rule(frozenset({OP, OA}), request=contract),
    ("GET", f"{V1}/contracts"): Rule(SIGNED_IN),
    # A contract belongs to two tenants (buyer and provider): only the own-tenant cell is checked here;
    # another tenant's 404 is tested in tests/integration/vouchers/test_voucher_claims_gaming.py.
    ("GET", f"{V1}/contracts/{{contract_id}}"): Rule(SIGNED_IN),
    ("POST", f"{V1}/contracts/{{contract_id}}/confirmation"): Rule(frozenset({PA}), request=body({"confirm": False})),
    ("POST", f"{V1}/contracts/{{contract_id}}/payment"): Rule(frozenset({PA}), request=body({"paid_fen": 1})),
    # evidence files: an application's belong to its organisation; a contract's to its two parties
    ("POST", f"{V1}/applications/{{application_id}}/documents"): Rule(frozenset({OA, PA}), tenant=True, request=upload),
    ("GET", f"{V1}/applications/{{application_id}}/documents"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/contracts/{{contract_id}}/documents"): Rule(frozenset({OA, PA}), request=upload),
    ("GET", f"{V1}/contracts/{{contract_id}}/documents"): Rule(SIGNED_IN),
    ("GET", f"{V1}/documents/{{document_id}}"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{V1}/documents/{{document_id}}/content"): Rule(SIGNED_IN, tenant=True),
}

# the data exchange (数据交易所): trader roles are approved per organisation (A, B supplier and buyer; P assessor)
X = f"{V1}/exchange"
TRADERS = frozenset({OA, OM})  # acting roles of an approved supplier / buyer organisation
OFFICERS = frozenset({OP, PO})


def version_upload(w: World, t: str) -> dict[str, Any]:
    return {"params": {"label": f"m{next(_serial)}"}, "content": DATA}


def files(name: str, content: bytes) -> Build:
    return lambda _w, _t: {"files": {"file": (name, content)}}


RULES.update({
    ("POST", f"{X}/roles"): Rule(frozenset({OA, PA}), request=body({"role": "intermediary"})),
    ("GET", f"{X}/roles"): Rule(SIGNED_IN),
    ("POST", f"{X}/roles/{{membership_id}}/decision"): Rule(frozenset({OP}), request=body({"approve": True})),
    ("GET", f"{X}/assessors"): Rule(PUBLIC, public_data=True),
    ("POST", f"{X}/products"): Rule(TRADERS, request=body(product_body())),
    ("GET", f"{X}/products"): Rule(PUBLIC, public_data=True),
    ("GET", f"{X}/products/mine"): Rule(SIGNED_IN),
    ("GET", f"{X}/products/{{product_id}}"): Rule(PUBLIC, tenant=True),  # listed ones are public, drafts are not
    ("POST", f"{X}/products/{{product_id}}/versions"): Rule(TRADERS, tenant=True, request=version_upload),
    # an assessor that is not approved: 422 for the owner, after the tenant check (state unchanged)
    ("POST", f"{X}/versions/{{version_id}}/submit"): Rule(TRADERS, tenant=True, request=lambda w, t: {"json": {
        "assessor_organisation_id": w.orgs["gov"], "evidence": EVIDENCE}}),
    ("GET", f"{X}/reviews"): Rule(frozenset({OP, PA})),
    ("POST", f"{X}/versions/{{version_id}}/stages"): Rule(frozenset({PA}), tenant=True, request=body(
        {"stage": "source_legality", "passed": True})),
    ("GET", f"{X}/versions/{{version_id}}/steps"): Rule(PUBLIC, tenant=True),
    ("GET", f"{X}/notices"): Rule(PUBLIC, public_data=True),
    ("POST", f"{X}/versions/{{version_id}}/objections"): Rule(PUBLIC, tenant=True, request=body(
        {"name": "n", "contact": "c", "reason": "r"})),
    ("GET", f"{X}/versions/{{version_id}}/objections"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{X}/objections"): Rule(frozenset({OP})),
    ("POST", f"{X}/objections/{{objection_id}}/resolution"): Rule(frozenset({OP}), request=body(
        {"uphold": False, "resolution": "x"})),
    ("POST", f"{X}/versions/{{version_id}}/certificate"): Rule(frozenset({OP}), tenant=True),
    ("GET", f"{X}/versions/{{version_id}}/certificate"): Rule(PUBLIC, public_data=True),
    ("GET", f"{X}/certificates/{{number}}"): Rule(PUBLIC, public_data=True),
    ("GET", f"{X}/disclosure"): Rule(PUBLIC, public_data=True),
    ("GET", f"{X}/statistics"): Rule(PUBLIC, public_data=True),
    ("POST", f"{X}/orders"): Rule(TRADERS, request=lambda w, t: {"json": {
        "product_id": w.globals["listed_product_id"], "accept_licence": True}}),
    ("GET", f"{X}/orders"): Rule(SIGNED_IN),
    ("GET", f"{X}/orders/{{order_id}}"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{X}/orders/{{order_id}}/download"): Rule(TRADERS, tenant=True),
    ("POST", f"{X}/orders/{{order_id}}/jobs"): Rule(TRADERS, tenant=True, request=body({"command": "true"})),
    ("GET", f"{X}/orders/{{order_id}}/jobs"): Rule(SIGNED_IN, tenant=True),
    ("GET", f"{X}/orders/{{order_id}}/invoice"): Rule(SIGNED_IN, tenant=True),
    # API delivery carries an order's data key, not a sign-in (whoever holds the key calls); the path names
    # the tenant's draft, not the key's product: 404 (the key's own product is tested in tests/integration/exchange)
    ("GET", f"{X}/data/{{product_id}}/rows"): Rule(PUBLIC, request=lambda w, t: {"headers": {
        "X-Exchange-Key": w.ids[t].get("api_key", w.ids["A"]["api_key"])}}),
    # opportunities (机会清单): the bureau's officers manage batches; organisations ask to be matched
    ("GET", f"{V1}/opportunities"): Rule(PUBLIC, public_data=True),
    ("GET", f"{V1}/opportunities/{{item_id}}"): Rule(PUBLIC, public_data=True),
    ("POST", f"{V1}/opportunity-batches"): Rule(OFFICERS, request=body({"title": "matrix batch"})),
    ("GET", f"{V1}/opportunity-batches"): Rule(PUBLIC, public_data=True),
    ("POST", f"{V1}/opportunity-batches/{{batch_id}}/items"): Rule(OFFICERS, request=files("a.csv", b"x\n")),
    ("POST", f"{V1}/opportunity-batches/{{batch_id}}/submit"): Rule(OFFICERS),
    ("POST", f"{V1}/opportunity-batches/{{batch_id}}/review"): Rule(OFFICERS, request=body({"decision": "return"})),
    ("GET", f"{V1}/opportunity-batches/{{batch_id}}/export"): Rule(PUBLIC, public_data=True),
    ("POST", f"{V1}/opportunities/{{item_id}}/matches"): Rule(frozenset({OA, OM, PA}), request=body({})),
    ("GET", f"{V1}/opportunity-matches"): Rule(SIGNED_IN),
    # withdrawing is the requester's answer (officers and the issuer accept or decline)
    ("POST", f"{V1}/opportunity-matches/{{match_id}}/answer"): Rule(frozenset({OA, OM, PA}), tenant=True,
                                                                   request=body({"status": "withdrawn"})),
    ("POST", f"{V1}/opportunity-matches/{{match_id}}/conclude"): Rule(frozenset({OA, OM, PA, PO, OP}), tenant=True,
                                                                     request=body({"outcome": "no_deal"})),
    ("GET", f"{V1}/opportunity-matches/{{match_id}}/history"): Rule(frozenset({OA, OM, PA, PO, OP}), tenant=True),
    ("POST", f"{V1}/opportunities/{{item_id}}/close"): Rule(OFFICERS),
    ("POST", f"{V1}/opportunities/{{item_id}}/evaluation"): Rule(OFFICERS, request=body({"score": 3})),
    ("POST", f"{V1}/opportunities/{{item_id}}/quote"): Rule(SIGNED_IN),
    # industry indicators (产业指标): public figures; the bureau maintains them
    ("GET", f"{V1}/indicators"): Rule(PUBLIC, public_data=True),
    ("GET", f"{V1}/indicators.xlsx"): Rule(PUBLIC, public_data=True),
    ("PUT", f"{V1}/indicators"): Rule(OFFICERS, request=body({"text": "not: [an indicator file"})),
    ("POST", f"{V1}/indicator-figures"): Rule(OFFICERS, request=body({"code": "nope", "period": "2024",
                                                                       "value": "1"})),
    ("POST", f"{V1}/indicator-figures/import"): Rule(OFFICERS, request=files("f.csv", b"code,period,value\n")),
    # incentive awards (政策兑现) and the organisation's profile (一企一档)
    ("POST", f"{V1}/award-items"): Rule(OFFICERS, request=body({"text": "not: [an award file"})),
    ("PUT", f"{V1}/organisations/{{organisation_id}}/profile-facts"): Rule(OFFICERS, tenant=True, request=body(
        {"key": "employees", "value": "10", "source": "matrix", "as_of": "2024-01-02"})),
    ("POST", f"{V1}/award-claims"): Rule(OFFICERS, request=lambda w, t: {"json": {
        "organisation_id": w.orgs[t], "item": "nope", "year": 2024, "basis": "matrix"}}),
    ("GET", f"{V1}/organisations/{{organisation_id}}/policy-matches"): Rule(SIGNED_IN, tenant=True),
    ("POST", f"{V1}/organisations/{{organisation_id}}/policy-matches/{{code}}/confirm"): Rule(
        frozenset({OA}), tenant=True, request=lambda w, t: {"params": {"year": 2024}}),
    ("POST", f"{V1}/award-items/{{code}}/funding"): Rule(frozenset({PO, FO, OP}), request=lambda w, t: key(
        w, t, {"amount_fen": 1})),
    ("GET", f"{V1}/award-claims/{{claim_id}}"): Rule(frozenset({OA, OM, PO, OP, FO}), tenant=True),
    ("GET", f"{V1}/award-items/{{code}}/disclosure"): Rule(SIGNED_IN, public_data=True),
    ("GET", f"{V1}/award-items"): Rule(SIGNED_IN, public_data=True),  # the policy's items: public text
    ("GET", f"{V1}/organisations/{{organisation_id}}/profile-facts"): Rule(OFFICERS, tenant=True),
    ("GET", f"{V1}/award-claims"): Rule(SIGNED_IN),  # an organisation: those it is a party to
    ("POST", f"{V1}/award-applications"): Rule(frozenset({OA}), tenant=True, request=lambda w, t: {"json": {
        "organisation_id": w.orgs[t], "item": "nope", "year": 2024, "basis": "matrix"}}),
    ("POST", f"{V1}/award-claims/{{claim_id}}/review"): Rule(OFFICERS, request=body({"approve": False,
                                                                                    "note": "matrix"})),
})


@dataclass(frozen=True)
class Page:
    """A web UI route: `signed_in` pages redirect strangers to /signin; `tenant` pages name a tenant's
    resource. POSTs without the CSRF token are refused for everyone."""

    signed_in: bool = True
    tenant: bool = False


WEB: dict[tuple[str, str], Page] = {
    ("GET", "/"): Page(signed_in=False),
    ("GET", "/signin"): Page(signed_in=False),
    ("POST", "/signin"): Page(signed_in=False),
    ("POST", "/signout"): Page(),
    ("GET", "/home"): Page(),
    ("GET", "/dashboard"): Page(signed_in=False),  # the public platform dashboard
    ("GET", "/dashboard.csv"): Page(signed_in=False),
    ("GET", "/jobs"): Page(),
    ("GET", "/jobs/new"): Page(),
    ("GET", "/jobs/quote"): Page(),
    ("POST", "/jobs"): Page(),
    ("GET", "/jobs/{job_id}"): Page(tenant=True),
    ("GET", "/jobs/{job_id}/live"): Page(tenant=True),
    ("POST", "/jobs/{job_id}/cancel"): Page(tenant=True),
    ("GET", "/market"): Page(signed_in=False),
    ("GET", "/vendor/plotly.min.js"): Page(signed_in=False),
    ("GET", "/audit"): Page(),
    ("GET", "/audit/receipt/{seq}"): Page(tenant=True),
    ("GET", "/audit/verify"): Page(),
    ("GET", "/invoices"): Page(),
    ("GET", "/invoices/{invoice_id}.{fmt}"): Page(tenant=True),
    ("GET", "/batches"): Page(),
    ("POST", "/batches"): Page(),
    ("POST", "/batches/{batch_id}/{action}"): Page(),
    ("GET", "/reserves"): Page(),
    ("POST", "/reserves"): Page(),
    ("POST", "/reserves/deposit"): Page(),
    ("GET", "/favicon.ico"): Page(signed_in=False),
    ("GET", "/operator/centers"): Page(),
    ("POST", "/operator/centers/{name}/check"): Page(),
    ("GET", "/operator/users"): Page(),
    ("GET", "/programs"): Page(),
    ("POST", "/programs"): Page(),
    ("POST", "/programs/{program_id}/window"): Page(),
    ("GET", "/programs/{program_id}"): Page(),
    ("GET", "/programs/{program_id}/disclosure.{fmt}"): Page(),
    ("POST", "/programs/{program_id}/publish"): Page(),
    ("GET", "/applications"): Page(),
    ("GET", "/applications/{application_id}"): Page(tenant=True),
    ("GET", "/statements/{statement_id}.{fmt}"): Page(),
    ("GET", "/batches/{batch_id}.{fmt}"): Page(),
    ("GET", "/notifications"): Page(),
    ("POST", "/notifications/read-all"): Page(),
    ("POST", "/notifications/{notification_id}/read"): Page(),
    ("GET", "/notifications/settings"): Page(),
    ("POST", "/notifications/settings"): Page(),
    ("POST", "/notifications/webhooks"): Page(),
    ("POST", "/notifications/webhooks/{endpoint_id}/remove"): Page(),
    ("POST", "/programs/drafts"): Page(),
    ("GET", "/programs/drafts/{draft_id}"): Page(),
    ("POST", "/programs/drafts/{draft_id}/{decision}"): Page(),
    ("POST", "/applications/{application_id}/review"): Page(tenant=True),
    ("POST", "/applications/{application_id}/document-requests"): Page(tenant=True),
    ("POST", "/applications/{application_id}/document-requests/{request_id}/answer"): Page(tenant=True),
    ("POST", "/applications/{application_id}/documents"): Page(tenant=True),
    ("GET", "/provider"): Page(),
    ("GET", "/vouchers"): Page(),
    ("POST", "/vouchers/apply"): Page(),
    # the data exchange: catalogue, product pages, disclosure and objections are public
    ("GET", "/exchange"): Page(signed_in=False),
    ("GET", "/exchange/products/{product_id}"): Page(signed_in=False, tenant=True),
    ("GET", "/exchange/disclosure"): Page(signed_in=False),
    ("POST", "/exchange/versions/{version_id}/objections"): Page(signed_in=False, tenant=True),
    ("GET", "/exchange/my"): Page(),
    ("POST", "/exchange/roles"): Page(),
    ("POST", "/exchange/products"): Page(),
    ("POST", "/exchange/products/{product_id}/versions"): Page(tenant=True),
    ("POST", "/exchange/versions/{version_id}/submit"): Page(tenant=True),
    ("POST", "/exchange/orders"): Page(),
    ("GET", "/exchange/orders/{order_id}/download"): Page(tenant=True),
    ("POST", "/exchange/orders/{order_id}/jobs"): Page(tenant=True),
    ("GET", "/exchange/review"): Page(),
    ("POST", "/exchange/versions/{version_id}/stages"): Page(tenant=True),
    ("GET", "/exchange/operator"): Page(),
    ("POST", "/exchange/roles/{membership_id}/decision"): Page(),
    ("POST", "/exchange/objections/{objection_id}/resolution"): Page(),
    ("POST", "/exchange/versions/{version_id}/certificate"): Page(tenant=True),
    ("GET", "/exchange/products/{product_id}/certificate.json"): Page(signed_in=False),
    # opportunities, indicators, awards
    ("GET", "/opportunities"): Page(signed_in=False),
    ("GET", "/opportunities/{item_id:int}"): Page(signed_in=False),
    ("POST", "/opportunities/{item_id:int}/match"): Page(),
    ("POST", "/opportunities/{item_id:int}/quote"): Page(),
    ("GET", "/opportunities/batches"): Page(),
    ("POST", "/opportunities/batches"): Page(),
    ("GET", "/opportunities/batches/{batch_id:int}.{fmt}"): Page(signed_in=False),
    ("GET", "/indicators"): Page(signed_in=False),
    ("GET", "/indicators/manage"): Page(),
    ("POST", "/indicators/manage"): Page(),
    ("GET", "/indicators.xlsx"): Page(signed_in=False),
    ("GET", "/awards"): Page(),
    ("POST", "/awards"): Page(),
    ("GET", "/awards/matches"): Page(),
    ("POST", "/awards/confirm"): Page(),
    ("POST", "/awards/apply"): Page(),  # the organisation applies for itself (its id comes from the session)
    ("GET", "/awards/applications"): Page(),  # the bureau's review queue: officers and operators only
    ("POST", "/awards/applications/{application_id}/review"): Page(),
    ("GET", "/awards/profile"): Page(),
    ("POST", "/awards/profile"): Page(),
}
# Framework routes that are not endpoints of the platform's own (docs and schema), answered to anyone.
FRAMEWORK = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
             ("GET", "/metrics")}
