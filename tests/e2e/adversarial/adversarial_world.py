"""A small, populated platform for adversarial tests: two tenants (A and B) with jobs, ledger accounts,
invoices and voucher grants, a provider, a bureau with officers, an auditor and the operator; every
persona signed in. Built through the real API and services, so what the tests attack is what ships.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from suanli.db.models.base import utcnow
from suanli.db.models.organisations import ApiTokenRow, UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.domain.ledger.periods import period_of
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import accounts, audit, ledger, settlement
from suanli_testing import PASSWORD, SMALL_FEDERATION

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
# The shipped Chengdu 2023 program without its dated window, so the world can be built on any day.
PROGRAM_TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")
FEDERATION = SMALL_FEDERATION
MONTH = period_of(utcnow())

# persona -> (role, tenant key); tenant keys name organisations in World.orgs.
PERSONAS: dict[str, tuple[Role, str]] = {
    "operator": (Role.PLATFORM_OPERATOR, "platform"),
    "admin_a": (Role.ORG_ADMIN, "A"),
    "member_a": (Role.ORG_MEMBER, "A"),
    "admin_b": (Role.ORG_ADMIN, "B"),
    "member_b": (Role.ORG_MEMBER, "B"),
    "provider": (Role.PROVIDER_ADMIN, "P"),
    "officer": (Role.PROGRAM_OFFICER, "gov"),
    "officer2": (Role.PROGRAM_OFFICER, "gov"),
    "finance": (Role.FINANCE_OFFICER, "gov"),
    "auditor": (Role.AUDITOR, "audit"),
    "supplier_s": (Role.ORG_ADMIN, "S"),  # a data supplier outside the matrix: sells to A and B
}
TENANT_PERSONAS = {"admin_a", "member_a", "admin_b", "member_b", "provider"}


@dataclass
class World:
    api: Any  # tests/conftest.py Api
    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    # tenant key -> path parameter name -> id of a resource that tenant owns
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    globals: dict[str, Any] = field(default_factory=dict)  # path parameters of shared resources

    @property
    def client(self) -> Any:
        return self.api.client

    def auth(self, persona: str) -> dict[str, str]:
        return self.api.auth(persona)

    def mint_token(self, persona: str) -> dict[str, str]:
        """A fresh token written straight to the database (no argon2 cost), for calls that revoke it."""
        token = secrets.token_urlsafe(32)
        with unit_of_work(self.api.sessions) as s:
            s.add(ApiTokenRow(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=self.users[persona],
                              expires_at=utcnow() + timedelta(hours=1)))
        return {"Authorization": f"Bearer {token}"}

    def tenant_of(self, persona: str) -> str:
        return PERSONAS[persona][1]


JOB = {"name": "train", "command": "echo hi", "time_limit_s": 60, "center": "local", "pool": "cpu",
       "resources": {"devices": 1}}


def build_world(api: Any) -> World:
    w = World(api)
    api.load_federation(FEDERATION)
    w.orgs = {
        "platform": api.organisation("platform-op", OrganisationType.PLATFORM),
        "A": api.organisation("tenant-a", sme=True, sectors=["healthcare"]),
        "B": api.organisation("tenant-b", sme=True, sectors=["healthcare"]),
        "P": api.organisation("provider-p", OrganisationType.PROVIDER),
        "gov": api.organisation("bureau", OrganisationType.GOVERNMENT),
        "audit": api.organisation("audit-firm", OrganisationType.AUDITOR),
        "S": api.organisation("supplier-s"),
    }
    _sign_up(w)
    c = api.client
    w.ids = {t: {"organisation_id": org} for t, org in w.orgs.items()}
    for tenant, member, admin in (("A", "member_a", "admin_a"), ("B", "member_b", "admin_b")):
        job = c.post("/api/v1/jobs", json=JOB, headers=api.auth(member))
        assert job.status_code == 201, job.text
        w.ids[tenant]["job_id"] = job.json()["id"]
        c.post("/api/v1/jobs", json={**JOB, "name": "admin-job"}, headers=api.auth(admin))
    _ledger(w)
    _vouchers(w)
    _audit_seqs(w)
    _exchange(w)
    _opportunities(w)
    _awards(w)
    w.globals.update(name="local", month="2001-01", fmt="csv", action="approve")
    return w


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = accounts.hash_password(PASSWORD)
    return _HASH


_HASH: str | None = None


def _sign_up(w: World) -> None:
    """Every persona as a user with a token, written directly: one argon2 hash per process instead of
    two per user (sign-in itself is attacked in test_adversarial_auth.py)."""
    with unit_of_work(w.api.sessions) as s:
        for persona, (role, tenant) in PERSONAS.items():
            user = UserRow(username=persona, display_name=persona, password_hash=_password_hash(), role=role.value,
                           organisation_id=w.orgs[tenant], active=True)
            s.add(user)
            s.flush()
            audit.record_event(s, kind="user.role_granted", subject=f"user/{user.id}",
                               payload={"username": persona, "role": role.value, "by": "adversarial-world"},
                               organisation_id=w.orgs[tenant])
            w.users[persona] = user.id
    for persona in PERSONAS:
        w.api.tokens[persona] = w.mint_token(persona)["Authorization"].removeprefix("Bearer ")


def _ledger(w: World) -> None:
    with unit_of_work(w.api.sessions) as s:
        cash = ledger.open_account(s, purpose=AccountPurpose.CASH, owner_kind=OwnerKind.PLATFORM).id
        equity = ledger.open_account(s, purpose=AccountPurpose.EQUITY, owner_kind=OwnerKind.PLATFORM).id
        ledger.transfer(s, idempotency_key="world-seed", legs=[debit(cash, 10**9), credit(equity, 10**9)])
        for tenant in ("A", "B", "P"):
            purpose = AccountPurpose.PROVIDER_PAYABLE if tenant == "P" else AccountPurpose.ORG_RECEIVABLE
            account = ledger.open_account(s, purpose=purpose, owner_kind=OwnerKind.ORGANISATION,
                                          owner_id=w.orgs[tenant]).id
            w.ids[tenant]["account_id"] = account
        for tenant in ("A", "B"):
            w.ids[tenant]["invoice_id"] = settlement.issue_invoice(s, organisation_id=w.orgs[tenant], month=MONTH).id
        hold = ledger.reserve(s, idempotency_key="world-hold", debit_account_id=cash, credit_account_id=equity,
                              amount_fen=100)
        w.globals.update(cash_account=cash, equity_account=equity, transfer_id=hold.id, hold_id=hold.id)


def _vouchers(w: World) -> None:
    c, api = w.client, w.api
    program = c.post("/api/v1/programs", content=PROGRAM_TEXT, headers=api.auth("officer"))
    assert program.status_code == 201, program.text
    program_id = program.json()["id"]
    w.globals["program_id"] = program_id
    assert c.post(f"/api/v1/programs/{program_id}/window", json={"open": True},
                  headers=api.auth("officer")).status_code == 200
    for tenant, admin in (("A", "admin_a"), ("B", "admin_b")):
        body = {"program_id": program_id, "project": f"model of {tenant}", "requested_fen": 1_000_000}
        applied = c.post("/api/v1/applications", json=body, headers=api.auth(admin))
        assert applied.status_code == 201, applied.text
        application = applied.json()["id"]
        w.ids[tenant]["application_id"] = application
        # An evidence file of the tenant's own application (no other organisation is party to it).
        document = c.post(f"/api/v1/applications/{application}/documents", data={"kind": "invoice"},
                          files={"file": (f"invoice-{tenant}.pdf", f"%PDF invoice of {tenant}".encode(), "application/pdf")},
                          headers=api.auth(admin))
        assert document.status_code == 201, document.text
        w.ids[tenant]["document_id"] = document.json()["id"]
        # A request for more documents (需补充材料), answered, so the application goes on to its grant.
        asked = c.post(f"/api/v1/applications/{application}/document-requests", json={"reason": "请补充材料"},
                       headers=api.auth("officer"))
        assert asked.status_code == 201, asked.text
        w.ids[tenant]["request_id"] = asked.json()["id"]
        answered = c.post(f"/api/v1/applications/{application}/document-requests/{asked.json()['id']}/answer",
                          json={}, headers=api.auth(admin))
        assert answered.status_code == 200, answered.text
        for officer, review in (("officer", {"approve": True, "score": 80}), ("officer2", {"approve": True})):
            reviewed = c.post(f"/api/v1/applications/{application}/reviews", json=review, headers=api.auth(officer))
            assert reviewed.status_code == 201, reviewed.text
        contract = {"provider_organisation_id": w.orgs["P"], "number": f"HT-{tenant}", "amount_fen": 10_000,
                    "signed_on": "2024-01-02"}
        declared = c.post("/api/v1/contracts", json=contract, headers=api.auth(admin))
        assert declared.status_code == 201, declared.text
        w.ids[tenant]["contract_id"] = declared.json()["id"]


def _audit_seqs(w: World) -> None:
    events = w.client.get("/api/v1/audit/events?limit=500", headers=w.auth("operator")).json()
    for tenant in ("A", "B", "P"):
        w.ids[tenant]["seq"] = next(e["seq"] for e in events if e["organisation_id"] == w.orgs[tenant])


EVIDENCE = {"source_legality": "来源说明", "authorisation": "授权书", "pi_handling": "去标识化报告",
            "security_level": "一般数据"}
DATA = "区县,客流\n锦江区,12034\n武侯区,9876\n".encode()


def product_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "客流数据", "description": "按区县汇总的客流。", "sector": "交通", "source": "闸机记录",
            "legal_basis": "授权协议", "pi_level": "deidentified", "update_frequency": "每日",
            "delivery_mode": "dataset", "price_model": "per_download", "price_fen": 100, "licence": "内部分析",
            "sample": "区县,客流", "columns": [{"name": "区县"}], **overrides}


def _exchange(w: World) -> None:
    """The data exchange: A and B are approved suppliers and buyers, each with a draft product and
    version of its own and an order of S's listed API product; P is the assessor; S the seller."""
    from sqlalchemy import update

    from suanli.db.models.exchange import ExchangeVersionRow

    c, api = w.client, w.api
    for persona, role in (("admin_a", "supplier"), ("admin_a", "buyer"), ("admin_b", "supplier"),
                          ("admin_b", "buyer"), ("supplier_s", "supplier"), ("provider", "assessor")):
        applied = c.post("/api/v1/exchange/roles", json={"role": role}, headers=api.auth(persona))
        assert applied.status_code == 201, applied.text
        decided = c.post(f"/api/v1/exchange/roles/{applied.json()['id']}/decision", json={"approve": True},
                         headers=api.auth("operator"))
        assert decided.status_code == 200, decided.text
        w.globals["membership_id"] = applied.json()["id"]

    def product(persona: str, **overrides: Any) -> tuple[int, int]:
        made = c.post("/api/v1/exchange/products", json=product_body(**overrides), headers=api.auth(persona))
        assert made.status_code == 201, made.text
        version = c.post(f"/api/v1/exchange/products/{made.json()['id']}/versions?label=v1", content=DATA,
                         headers=api.auth(persona))
        assert version.status_code == 201, version.text
        return made.json()["id"], version.json()["id"]

    for tenant, admin in (("A", "admin_a"), ("B", "admin_b")):
        w.ids[tenant]["product_id"], w.ids[tenant]["version_id"] = product(admin, title=f"{tenant} 的草稿数据")
    listed, version = product("supplier_s", delivery_mode="api", price_model="per_call")
    submitted = c.post(f"/api/v1/exchange/versions/{version}/submit", headers=api.auth("supplier_s"),
                       json={"assessor_organisation_id": w.orgs["P"], "evidence": EVIDENCE})
    assert submitted.status_code == 200, submitted.text
    for stage in ("source_legality", "authorisation", "personal_information", "security_level"):
        done = c.post(f"/api/v1/exchange/versions/{version}/stages", headers=api.auth("provider"),
                      json={"stage": stage, "passed": True})
        assert done.status_code == 200, done.text
    objection = c.post(f"/api/v1/exchange/versions/{version}/objections",
                       json={"name": "市民", "contact": "x@example.com", "reason": "来源存疑"})
    assert objection.status_code == 201, objection.text
    w.globals["objection_id"] = objection.json()["id"]
    assert c.post(f"/api/v1/exchange/objections/{objection.json()['id']}/resolution", headers=api.auth("operator"),
                  json={"uphold": False, "resolution": "来源已核实"}).status_code == 200
    with unit_of_work(api.sessions) as s:
        s.execute(update(ExchangeVersionRow).where(ExchangeVersionRow.id == version)
                  .values(notice_ends_at=utcnow() - timedelta(seconds=1)))
    cert = c.post(f"/api/v1/exchange/versions/{version}/certificate", headers=api.auth("operator"))
    assert cert.status_code == 201, cert.text
    w.globals.update(listed_product_id=listed, number=cert.json()["body"]["number"])
    for tenant, member in (("A", "member_a"), ("B", "member_b")):
        order = c.post("/api/v1/exchange/orders", json={"product_id": listed, "quantity": 5, "accept_licence": True},
                       headers=api.auth(member))
        assert order.status_code == 201, order.text
        w.ids[tenant]["order_id"], w.ids[tenant]["api_key"] = order.json()["id"], order.json()["api_key"]


def _opportunities(w: World) -> None:
    """A published opportunity batch with one item issued by S; A and B each asked to be matched."""
    from suanli.db.models.organisations import UserRow as User
    from suanli.domain.opportunities import ItemKind, OpportunityDraft, Track
    from suanli.services import opportunities
    from suanli.services.accounts import principal_of

    with unit_of_work(w.api.sessions) as s:
        officer, officer2 = (principal_of(s.get(User, w.users[p])) for p in ("officer", "officer2"))
        batch = opportunities.create_batch(s, actor=officer, title="matrix batch")
        opportunities.add_item(s, actor=officer, batch_id=batch.id, draft=OpportunityDraft(
            code="2024-S-001", kind=ItemKind.SUPPLY, track=Track.MODELS, title="交通大模型", issuer="supplier-s",
            region="高新区", scenario="交通", description="路口信号优化"))
        opportunities.submit_batch(s, actor=officer, batch_id=batch.id)
        opportunities.review_batch(s, actor=officer2, batch_id=batch.id, decision="publish")
        item = opportunities.batch_items(s, principal=officer, batch_id=batch.id)[0]
        w.globals.update(batch_id=batch.id, item_id=item.id)
        for tenant, member in (("A", "member_a"), ("B", "member_b")):
            match = opportunities.request_match(s, actor=principal_of(s.get(User, w.users[member])), item_id=item.id)
            w.ids[tenant]["match_id"] = match.id


def _awards(w: World) -> None:
    """A decided award for A and for B (major-project conversion, amount set by review): the claim ids."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "examples" / "awards" / "major-project-conversion.yaml").read_text("utf-8")
    c, officer = w.api.client, w.api.auth("officer")
    assert c.post("/api/v1/award-items", json={"text": text}, headers=officer).status_code == 201
    code = "ai-2024-major-project-conversion"
    evidence = ["project-acceptance", "product-launch"]
    for tenant in ("A", "B"):
        decided = c.post("/api/v1/award-claims", headers=officer, json={
            "organisation_id": w.orgs[tenant], "item": code, "year": 2024, "basis": f"project:{tenant}",
            "evidence": evidence, "reviewed_amount_fen": 1_000_000})
        assert decided.status_code == 201, decided.text
        w.ids[tenant]["claim_id"] = decided.json()["id"]
    w.globals.update(code=code)
