"""Awards paid through the same path as vouchers, through the API on SQLite and PostgreSQL: a decided
award is owed on the ledger (budget -> the party's claimant payable, idempotency key per party), the
finance disbursement batch takes it with the providers' statements, paying the batch pays it out of cash
(four eyes), the 公示 lists it and publishing records its hash; every step is an audit event. A threshold
claimed twice is a 409 naming the rule and writes nothing; another tenant reads the claim as 404."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from suanli.db.models.audit import AuditEvent
from suanli.db.models.awards import AwardApplicationRow, AwardBenefitRow, AwardPayoutRow
from suanli.db.models.ledger import LedgerAccountRow, LedgerTransferRow
from suanli.db.uow import unit_of_work
from suanli.domain.ledger.periods import period_of
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import audit, ledger

FILES = Path(__file__).resolve().parents[3] / "examples" / "awards"
ITEM = "ai-2024-revenue-thresholds"
WAN = 1_000_000  # fen in ¥10,000


def _counts(api) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with unit_of_work(api.sessions) as s:
        audit.catch_up(s)  # the log as readers see it: pending events placed
        return {t.__name__: s.scalar(select(func.count()).select_from(t)) or 0
                for t in (AwardApplicationRow, AwardBenefitRow, AwardPayoutRow, LedgerTransferRow, AuditEvent)}


def _balance(api, code: str) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(api.sessions) as s:
        row = s.scalar(select(LedgerAccountRow).where(LedgerAccountRow.code == code))
        assert row is not None, code
        return int(ledger.natural_balance(row))


def _kinds(api, since: int) -> list[str]:  # type: ignore[no-untyped-def]
    with unit_of_work(api.sessions) as s:
        audit.catch_up(s)
        return list(s.scalars(select(AuditEvent.kind).where(AuditEvent.seq >= since).order_by(AuditEvent.seq)))


def test_a_decided_award_is_owed_batched_paid_and_disclosed_like_a_voucher(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    company = api.organisation("zhixing-ai")
    stranger = api.organisation("stranger")
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    finance = api.user("finance", Role.FINANCE_OFFICER, bureau)
    operator = api.user("operator", Role.PLATFORM_OPERATOR, bureau)
    member = api.user("zx-admin", Role.ORG_ADMIN, company)
    outsider = api.user("outsider", Role.ORG_ADMIN, stranger)
    c = api.client
    assert c.post("/api/v1/award-items", json={"text": (FILES / "revenue-thresholds.yaml").read_text("utf-8")},
                  headers=officer).status_code == 201
    for key, value in (("revenue_fen:2024", str(35_000 * WAN)), ("ai_revenue_share_pct:2024", "72")):
        r = c.put(f"/api/v1/organisations/{company}/profile-facts", headers=officer,
                  json={"key": key, "value": value, "source": "2024年度审计报告", "as_of": "2025-04-30"})
        assert r.status_code == 200, r.text
    funded = c.post(f"/api/v1/award-items/{ITEM}/funding", json={"amount_fen": 100 * WAN},
                    headers={**finance, "Idempotency-Key": "award-fund-1"})
    assert funded.status_code == 201, funded.text
    replay = c.post(f"/api/v1/award-items/{ITEM}/funding", json={"amount_fen": 100 * WAN},
                    headers={**finance, "Idempotency-Key": "award-fund-1"})
    assert replay.json()["transfer"] == funded.json()["transfer"]  # a replayed key pays nothing twice
    cash_before = _balance(api, "cash:platform")
    budget_code = "program_budget:program:award-item:1"
    assert _balance(api, budget_code) == 500 * WAN  # the file's budget, committed at load
    start = _counts(api)["AuditEvent"]

    decided = c.post("/api/v1/award-claims", headers=officer, json={
        "organisation_id": company, "item": ITEM, "year": 2024, "basis": "revenue:zhixing-ai:2024",
        "evidence": ["audited-revenue"]})
    assert decided.status_code == 201, decided.text
    claim = decided.json()
    assert claim["amount_fen"] == 10 * WAN
    [payout] = claim["payouts"]
    assert (payout["party"], payout["organisation_id"], payout["amount_fen"], payout["status"]) == (
        "applicant", company, 10 * WAN, "owed")
    payable = f"claimant_payable:organisation:{company}:awards"
    assert _balance(api, payable) == 10 * WAN and _balance(api, budget_code) == 490 * WAN

    # The same threshold again (under another basis, so the once-per-threshold rule answers): 409, nothing written.
    before = _counts(api)
    again = c.post("/api/v1/award-claims", headers=officer, json={
        "organisation_id": company, "item": ITEM, "year": 2024, "basis": "revenue:zhixing-ai:2024-again",
        "evidence": ["audited-revenue"]})
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["type"].endswith("/award-claimed-already")
    assert again.json()["rule"] == f"{ITEM}.tier.300m.once"
    assert _counts(api) == before and _balance(api, payable) == 10 * WAN

    # Another tenant cannot read the claim; the party can.
    assert c.get(f"/api/v1/award-claims/{claim['id']}", headers=outsider).status_code == 404
    assert c.get(f"/api/v1/award-claims/{claim['id']}", headers=member).status_code == 200

    month = period_of(datetime.now(UTC))
    batch = c.post("/api/v1/ledger/batches", json={"month": month}, headers=operator)
    assert batch.status_code == 201, batch.text
    assert batch.json()["total_fen"] == 10 * WAN
    batch_id = batch.json()["id"]
    assert c.get(f"/api/v1/award-claims/{claim['id']}", headers=officer).json()["payouts"][0]["batch_id"] == batch_id
    assert c.post(f"/api/v1/ledger/batches/{batch_id}/pay", headers=finance).status_code == 409  # not approved yet
    assert c.post(f"/api/v1/ledger/batches/{batch_id}/approve", headers=finance).status_code == 200
    paid = c.post(f"/api/v1/ledger/batches/{batch_id}/pay", headers=finance)
    assert paid.status_code == 200, paid.text
    assert c.post(f"/api/v1/ledger/batches/{batch_id}/pay", headers=finance).status_code == 409  # paid once
    [after] = c.get(f"/api/v1/award-claims/{claim['id']}", headers=member).json()["payouts"]
    assert after["status"] == "paid"
    assert _balance(api, payable) == 0 and _balance(api, "cash:platform") == cash_before - 10 * WAN
    with unit_of_work(api.sessions) as s:
        keys = set(s.scalars(select(LedgerTransferRow.idempotency_key)))
        assert f"award:owe:{claim['id']}:applicant" in keys and f"batch:{batch_id}:award:{payout['id']}" in keys
        assert ledger.check_consistency(s) == []

    rows = c.get(f"/api/v1/award-items/{ITEM}/disclosure", headers=member).json()
    assert [(r["organisation"], r["amount_fen"], r["program"]) for r in rows] == [("zhixing-ai", 10 * WAN, ITEM)]
    assert c.get(f"/api/v1/award-items/{ITEM}/disclosure?publish=true", headers=member).status_code == 403
    published = c.get(f"/api/v1/award-items/{ITEM}/disclosure?publish=true&format=csv", headers=officer)
    assert published.status_code == 200 and "zhixing-ai" in published.content.decode("utf-8-sig")

    # Besides the ledger's own events (accounts opened, transfers), every step of the path:
    assert [k for k in _kinds(api, start) if not k.startswith("ledger.")] == ["award.decided", "award.payout_owed", "settlement.batch_created",
                                  "settlement.batch_approved", "award.paid", "settlement.batch_paid",
                                  "award.disclosure_published"]
    with unit_of_work(api.sessions) as s:
        audit.catch_up(s)
        created = s.scalar(select(AuditEvent).where(AuditEvent.kind == "settlement.batch_created"))
        assert created is not None and json.loads(created.canonical)["payload"]["award_payouts"] == [payout["id"]]
    assert date.today().year >= 2024


def test_an_award_beyond_the_items_budget_is_refused_and_writes_nothing(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    company = api.organisation("big-ai")
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    c = api.client
    text = (FILES / "revenue-thresholds.yaml").read_text("utf-8").replace("budget_fen: 500_000_000",
                                                                         "budget_fen: 15_000_000")
    assert c.post("/api/v1/award-items", json={"text": text}, headers=officer).status_code == 201
    for key, value in (("revenue_fen:2024", str(120_000 * WAN)), ("ai_revenue_share_pct:2024", "80")):
        c.put(f"/api/v1/organisations/{company}/profile-facts", headers=officer,
              json={"key": key, "value": value, "source": "2024年度审计报告", "as_of": "2025-04-30"})
    before = _counts(api)
    r = c.post("/api/v1/award-claims", headers=officer, json={
        "organisation_id": company, "item": ITEM, "year": 2024, "basis": "revenue:big-ai:2024",
        "evidence": ["audited-revenue"]})
    assert r.status_code == 422 and r.json()["rule"] == f"{ITEM}.budget", r.text  # ¥550k of three tiers > ¥150k
    assert _counts(api) == before
    lowered = text.replace("budget_fen: 15_000_000", "budget_fen: 10_000_000")
    r = c.post("/api/v1/award-items", json={"text": lowered}, headers=officer)
    assert r.status_code == 409 and r.json()["rule"] == f"{ITEM}.budget"


def test_no_application_items_are_only_confirmed_by_the_eligible_organisations_administrator(api) -> None:  # type: ignore[no-untyped-def]
    """免申即享 through the API: the amount comes from the bureau's facts; the administrator confirms once;
    a member may not, another organisation reads 404, an item that needs an application is refused."""
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    company, other = api.organisation("zhixing-ai"), api.organisation("other-ai")
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    admin = api.user("zx-admin", Role.ORG_ADMIN, company)
    member = api.user("zx-member", Role.ORG_MEMBER, company)
    stranger = api.user("other-admin", Role.ORG_ADMIN, other)
    c = api.client
    for name in ("revenue-thresholds", "standards"):
        assert c.post("/api/v1/award-items", json={"text": (FILES / f"{name}.yaml").read_text("utf-8")},
                      headers=officer).status_code == 201
    for key, value in (("revenue_fen:2024", str(60_000 * WAN)), ("ai_revenue_share_pct:2024", "61")):
        c.put(f"/api/v1/organisations/{company}/profile-facts", headers=officer,
              json={"key": key, "value": value, "source": "2024年度审计报告", "as_of": "2025-04-30"})
    # A claimant never records its own facts.
    assert c.put(f"/api/v1/organisations/{company}/profile-facts", headers=admin, json={
        "key": "revenue_fen:2024", "value": "1", "source": "me", "as_of": "2025-01-01"}).status_code == 403
    confirm = f"/api/v1/organisations/{company}/policy-matches/{ITEM}/confirm?year=2024"
    assert c.post(confirm, headers=member).status_code == 403
    assert c.post(confirm, headers=stranger).status_code == 404
    before = _counts(api)
    needs_application = c.post(f"/api/v1/organisations/{company}/policy-matches/ai-2024-standards/confirm?year=2024",
                               headers=admin)
    assert needs_application.status_code == 422 and needs_application.json()["rule"] == "ai-2024-standards.no-application"
    assert _counts(api) == before
    confirmed = c.post(confirm, headers=admin)
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    assert body["amount_fen"] == 30 * WAN  # 300m and 500m thresholds first passed: ¥100k + ¥200k
    assert {r["rule"] for r in body["rules"]} >= {f"{ITEM}.tier.300m", f"{ITEM}.tier.500m", f"{ITEM}.no-application"}
    assert [p["status"] for p in body["payouts"]] == ["owed"]
    before = _counts(api)
    again = c.post(confirm, headers=admin)
    assert again.status_code == 409 and _counts(api) == before
    matches = c.get(f"/api/v1/organisations/{company}/policy-matches?year=2024", headers=admin).json()
    assert ITEM not in {m["item"] for m in matches}
