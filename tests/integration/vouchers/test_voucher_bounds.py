"""Server-side bounds on every voucher write, through the API on SQLite and PostgreSQL: a reserve fund
only at an existing provider the program designates, a budget deposit only to an existing program,
review scores within the stage's range, decisions from a closed set, grants never above the request
unless the program file allows it, integers as integers, enumerations enforced, long text refused with
the field named; another tenant's objects are 404, a role lacking a permission on its own is 403."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from suanli.db.models.audit import AuditEvent
from suanli.db.models.federation import CenterRow
from suanli.db.models.vouchers import VoucherApplicationRow, VoucherReviewRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import audit

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")


def _world(api: Any, text: str = TEXT) -> dict[str, Any]:
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    sme = api.organisation("rongcheng-ai", sme=True)
    other = api.organisation("jinjiang-ai", sme=True)
    provider = api.organisation("nscc", OrganisationType.PROVIDER)
    stranger = api.organisation("far-provider", OrganisationType.PROVIDER)
    with unit_of_work(api.sessions) as s:
        for name, owner in (("nscc-chengdu", provider), ("elsewhere", stranger)):
            s.add(CenterRow(name=name, name_zh=name, kind="supercomputing", city="成都", backend_kind="local",
                            backend_options={}, green_share=0.0, healthy=True, health_detail="",
                            provider_organisation_id=owner))
    w = {"officer": api.user("officer", Role.PROGRAM_OFFICER, bureau),
         "officer2": api.user("officer2", Role.PROGRAM_OFFICER, bureau),
         "finance": api.user("finance", Role.FINANCE_OFFICER, bureau),
         "sme": api.user("sme", Role.ORG_ADMIN, sme), "other": api.user("other", Role.ORG_ADMIN, other),
         "sme_org": sme, "provider": provider, "stranger": stranger, "customer": other}
    c = api.client
    program = c.post("/api/v1/programs", content=text, headers=w["officer"]).json()["id"]
    assert c.post(f"/api/v1/programs/{program}/window", json={"open": True}, headers=w["officer"]).status_code == 200
    w["program"] = program
    return w


def _apply(api: Any, w: dict[str, Any], requested: int = 100_000) -> int:
    body = {"program_id": w["program"], "project": "traffic model", "requested_fen": requested}
    made = api.client.post("/api/v1/applications", json=body, headers=w["sme"])
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert body.get("field") == field, body
    return body


def test_a_reserve_goes_only_to_an_existing_provider_the_program_designates(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c, url = api.client, f"/api/v1/programs/{w['program']}/reserves"
    key = {"Idempotency-Key": "r1"}
    for org in (999_999, w["customer"], w["stranger"]):
        _problem(c.post(url, json={"provider_organisation_id": org, "amount_fen": 50_000},
                        headers={**w["finance"], **key}), 422, "provider_organisation_id")
    _problem(c.post("/api/v1/programs/999/reserves", json={"provider_organisation_id": w["provider"],
                                                            "amount_fen": 50_000}, headers={**w["finance"], **key}), 404)
    _problem(c.post(url, json={"provider_organisation_id": w["provider"], "amount_fen": 50_000},
                    headers={**w["sme"], **key}), 403)
    _problem(c.post(url, json={"provider_organisation_id": w["provider"], "amount_fen": 500.5},
                    headers={**w["finance"], **key}), 422)
    short = c.post(url, json={"provider_organisation_id": w["provider"], "amount_fen": 50_000},
                   headers={**w["finance"], **key})
    assert _problem(short, 409)["type"].endswith("insufficient-funds")  # no budget paid in yet: no cash to place
    assert c.post(f"/api/v1/programs/{w['program']}/deposits", json={"amount_fen": 100_000},
                  headers={**w["finance"], "Idempotency-Key": "d"}).status_code == 201
    placed = c.post(url, json={"provider_organisation_id": w["provider"], "amount_fen": 50_000},
                    headers={**w["finance"], **key})
    assert placed.status_code == 201, placed.text
    assert [(r["provider_organisation_id"], r["funded_fen"], r["balance_fen"]) for r in placed.json()] == [
        (w["provider"], 50_000, 50_000)]
    replay = c.post(url, json={"provider_organisation_id": w["provider"], "amount_fen": 50_000},
                    headers={**w["finance"], **key})
    assert replay.json()[0]["balance_fen"] == 50_000  # the same key places it once
    topped = c.post(url, json={"provider_organisation_id": w["provider"], "amount_fen": 20_000},
                    headers={**w["finance"], "Idempotency-Key": "r2"})
    assert topped.json()[0]["balance_fen"] == 70_000
    assert c.get(url, headers=w["officer"]).json()[0]["funded_fen"] == 70_000
    assert c.get(url, headers=w["sme"]).json() == []  # a customer sees no provider's reserve


def test_a_budget_deposit_goes_only_to_an_existing_program(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c = api.client
    head = {**w["finance"], "Idempotency-Key": "d1"}
    _problem(c.post("/api/v1/programs/999/deposits", json={"amount_fen": 1_000}, headers=head), 404)
    _problem(c.post(f"/api/v1/programs/{w['program']}/deposits", json={"amount_fen": 0}, headers=head), 422, "amount_fen")
    _problem(c.post(f"/api/v1/programs/{w['program']}/deposits", json={"amount_fen": 1_000},
                    headers={**w["sme"], "Idempotency-Key": "d1"}), 403)
    done = c.post(f"/api/v1/programs/{w['program']}/deposits", json={"amount_fen": 1_000}, headers=head)
    assert done.status_code == 201 and done.json()["transfer_id"] > 0


def test_review_scores_stay_within_the_stages_range_and_decisions_within_the_closed_set(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c = api.client
    app = _apply(api, w)
    url = f"/api/v1/applications/{app}/reviews"
    assert _problem(c.post(url, json={"decision": "approve", "score": 150}, headers=w["officer"]), 422,
                    "score")["rule"] == "review.score-range"
    _problem(c.post(url, json={"decision": "approve", "score": -1}, headers=w["officer"]), 422, "score")
    _problem(c.post(url, json={"decision": "approve", "score": 80.5}, headers=w["officer"]), 422)
    _problem(c.post(url, json={"decision": "maybe", "score": 80}, headers=w["officer"]), 422, "decision")
    _problem(c.post(url, json={"approve": "bogus"}, headers=w["officer"]), 422)
    _problem(c.post(url, json={"decision": "approve", "score": 80, "comment": "x" * 2001}, headers=w["officer"]),
             422, "comment")
    with unit_of_work(api.sessions) as s:  # nothing was recorded, in particular no rejection
        assert s.scalars(select(VoucherReviewRow)).all() == []
        assert s.get(VoucherApplicationRow, app).status == "submitted"  # type: ignore[union-attr]
    assert c.post(url, json={"decision": "approve", "score": 80}, headers=w["officer"]).status_code == 201
    # The second stage is not scored: a score there is refused, not stored.
    _problem(c.post(url, json={"decision": "approve", "score": 50}, headers=w["officer2"]), 422, "score")


def test_a_grant_is_never_above_the_request_unless_the_program_file_allows_it(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c = api.client
    app = _apply(api, w, requested=100_000)
    url = f"/api/v1/applications/{app}/reviews"
    assert c.post(url, json={"decision": "approve", "score": 80}, headers=w["officer"]).status_code == 201
    refused = _problem(c.post(url, json={"decision": "approve", "amount_fen": 99_999_900}, headers=w["officer2"]), 422)
    assert refused["rule"] == "grant.within-request"
    granted = c.post(url, json={"decision": "approve", "amount_fen": 80_000}, headers=w["officer2"])
    assert granted.status_code == 201 and granted.json()["application_status"] == "granted"
    assert c.get("/api/v1/wallets", headers=w["sme"]).json()[0]["granted_fen"] == 80_000


def test_a_program_that_allows_raising_a_grant_names_the_rule(api) -> None:  # type: ignore[no-untyped-def]
    text = TEXT.replace("id: chengdu-2023", "id: chengdu-2023-raise").replace(
        "side: demand", "side: demand\ngrant_may_exceed_request: true")
    w = _world(api, text)
    c = api.client
    app = _apply(api, w, requested=100_000)
    url = f"/api/v1/applications/{app}/reviews"
    assert c.post(url, json={"decision": "approve", "score": 80}, headers=w["officer"]).status_code == 201
    assert c.post(url, json={"decision": "approve", "amount_fen": 150_000}, headers=w["officer2"]).status_code == 201
    grant = c.get(f"/api/v1/applications/{app}/grant", headers=w["sme"]).json()
    assert grant["amount_fen"] == 150_000 and "grant.above-request" in [r["id"] for r in grant["rules"]]


def test_applications_take_integers_enumerations_and_bounded_text_only(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c = api.client
    base = {"program_id": w["program"], "project": "traffic model", "requested_fen": 100_000}
    _problem(c.post("/api/v1/applications", json={**base, "requested_fen": 1.5}, headers=w["sme"]), 422)
    _problem(c.post("/api/v1/applications", json={**base, "requested_fen": "100"}, headers=w["sme"]), 422)
    _problem(c.post("/api/v1/applications", json={**base, "side": "bogus"}, headers=w["sme"]), 422, "side")
    _problem(c.post("/api/v1/applications", json={**base, "project": "x" * 600}, headers=w["sme"]), 422, "project")
    _problem(c.post("/api/v1/applications", json={**base, "evidence": {"selfie": {}}}, headers=w["sme"]), 422,
             "evidence")
    _problem(c.post("/api/v1/applications", json={**base, "requested_fen": 10**16}, headers=w["sme"]), 422,
             "requested_fen")
    _problem(c.get("/api/v1/applications?status=bogus", headers=w["officer"]), 422, "status")
    assert c.get("/api/v1/applications", headers=w["officer"]).json() == []


def test_another_tenants_voucher_objects_are_404_and_a_missing_permission_is_403(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c = api.client
    app = _apply(api, w)
    url = f"/api/v1/applications/{app}/reviews"
    assert c.post(url, json={"decision": "approve", "score": 80}, headers=w["officer"]).status_code == 201
    assert c.post(url, json={"decision": "approve"}, headers=w["officer2"]).status_code == 201
    _problem(c.get(f"/api/v1/applications/{app}/grant", headers=w["other"]), 404)
    _problem(c.get(f"/api/v1/applications/{app}/grant/receipt", headers=w["other"]), 404)
    assert c.get("/api/v1/wallets", headers=w["other"]).json() == []
    assert c.get(f"/api/v1/wallets?organisation_id={w['sme_org']}", headers=w["other"]).json() == []
    assert c.get("/api/v1/applications", headers=w["other"]).json() == []
    assert c.get(f"/api/v1/applications/{app}/grant", headers=w["sme"]).status_code == 200
    _problem(c.post(url, json={"decision": "approve"}, headers=w["sme"]), 403)  # its own object, no permission
    _problem(c.get(f"/api/v1/programs/{w['program']}/forecast", headers=w["sme"]), 403)


def test_bad_program_files_are_422_problems_naming_line_and_field(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    c = api.client
    cases = {
        TEXT.replace("valid_days: 365", "expires_on: 2024-02-30").encode(): "validity.expires_on",
        TEXT.encode("gbk"): "",
        TEXT.replace("year: 2023", "year: 2023\nyear: 2024").encode(): "year",
        TEXT.replace("year: 2023", "year: 2023\x00").encode(): "",
        TEXT.replace("ratios: {compute: 30}", "ratios: {compute: 0.3}").encode(): "demand.ratios.compute",
    }
    for body, field in cases.items():
        problem = _problem(c.post("/api/v1/programs", content=body, headers=officer), 422, field)
        assert problem["line"] >= 1 and "\n" not in problem["detail"]
    assert c.get("/api/v1/programs", headers=officer).json() == []


def test_a_wallet_past_its_last_day_expires_and_its_money_returns_to_the_budget(api) -> None:  # type: ignore[no-untyped-def]
    text = TEXT.replace("id: chengdu-2023", "id: chengdu-2023-old").replace("valid_days: 365", "expires_on: 2024-01-01")
    w = _world(api, text)
    c = api.client
    app = _apply(api, w, requested=100_000)
    url = f"/api/v1/applications/{app}/reviews"
    assert c.post(url, json={"decision": "approve", "score": 80}, headers=w["officer"]).status_code == 201
    assert c.post(url, json={"decision": "approve"}, headers=w["officer2"]).status_code == 201
    before = c.get(f"/api/v1/programs/{w['program']}", headers=w["officer"]).json()["budget_left_fen"]
    assert c.get("/api/v1/wallets", headers=w["sme"]).json()[0]["status"] == "active"
    _problem(c.post("/api/v1/wallets/expire", json={}, headers=w["sme"]), 403)
    done = c.post("/api/v1/wallets/expire", json={}, headers=w["officer"])
    assert done.status_code == 200 and [e["returned_fen"] for e in done.json()["expired"]] == [100_000]
    wallet = c.get("/api/v1/wallets", headers=w["sme"]).json()[0]
    assert (wallet["status"], wallet["returned_fen"], wallet["available_fen"]) == ("expired", 100_000, 0)
    after = c.get(f"/api/v1/programs/{w['program']}", headers=w["officer"]).json()["budget_left_fen"]
    assert after == before + 100_000
    assert c.post("/api/v1/wallets/expire", json={}, headers=w["officer"]).json()["expired"] == []
    with unit_of_work(api.sessions) as s:
        audit.catch_up(s)
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "voucher.expired")) == 1


def test_a_contract_claim_under_a_reserve_fund_program_draws_the_providers_reserve(api) -> None:  # type: ignore[no-untyped-def]
    w = _world(api)
    c = api.client
    platform = api.organisation("platform", OrganisationType.PLATFORM)
    operator = api.user("operator", Role.PLATFORM_OPERATOR, platform)
    provider_admin = api.user("nscc-admin", Role.PROVIDER_ADMIN, w["provider"])
    assert c.post(f"/api/v1/programs/{w['program']}/deposits", json={"amount_fen": 100_000},
                  headers={**w["finance"], "Idempotency-Key": "d"}).status_code == 201
    reserves = f"/api/v1/programs/{w['program']}/reserves"
    assert c.post(reserves, json={"provider_organisation_id": w["provider"], "amount_fen": 20_000},
                  headers={**w["finance"], "Idempotency-Key": "r"}).status_code == 201
    app = _apply(api, w, requested=100_000)
    url = f"/api/v1/applications/{app}/reviews"
    assert c.post(url, json={"decision": "approve", "score": 80}, headers=w["officer"]).status_code == 201
    assert c.post(url, json={"decision": "approve"}, headers=w["officer2"]).status_code == 201
    order = {"provider_organisation_id": w["provider"], "number": "ORD-1", "amount_fen": 100_000,
             "signed_on": "2024-01-02", "buyer_organisation_id": w["sme_org"]}
    made = c.post("/api/v1/contracts", json=order, headers=operator)
    assert made.status_code == 201 and made.json()["through_platform"] is True, made.text
    declared = c.post("/api/v1/contracts", json={**order, "number": "OWN-1", "buyer_organisation_id": None},
                      headers=w["sme"])
    assert declared.status_code == 201 and declared.json()["through_platform"] is False  # a fact, not a flag
    contract = made.json()["id"]
    claim = {"program_id": w["program"], "contract_id": contract}
    early = c.post("/api/v1/redemptions", json=claim, headers={**w["sme"], "Idempotency-Key": "c0"})
    assert early.status_code == 422 and early.json()["rule"] == "contract.confirmed"
    _problem(c.post(f"/api/v1/contracts/{contract}/confirmation", json={}, headers=w["sme"]), 403)  # the buyer
    assert c.post(f"/api/v1/contracts/{contract}/confirmation", json={}, headers=provider_admin).status_code == 200
    paid = c.post("/api/v1/redemptions", json=claim, headers={**w["sme"], "Idempotency-Key": "c1"})
    assert paid.status_code == 201 and paid.json()["amount_fen"] == 30_000, paid.text
    report = c.get(reserves, headers=w["officer"]).json()
    assert [(r["funded_fen"], r["drawn_fen"], r["balance_fen"]) for r in report] == [(20_000, 20_000, 0)]
    own = c.post("/api/v1/redemptions", json={**claim, "contract_id": declared.json()["id"]},
                 headers={**w["sme"], "Idempotency-Key": "c2"})
    assert own.status_code == 422  # not confirmed, and not through the platform either
