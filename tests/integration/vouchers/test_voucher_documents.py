"""Evidence as files, through the API: documents uploaded (multipart) to an application or a contract,
stored content-addressed by SHA-256 with the digest in the transparency log, downloadable by the
reviewers and the parties only (another tenant: 404), refused when oversized or of an unknown type; a
stage that requires document types refuses the decision without them, and a supply-side scale is the
one the reviewer verified, never the applicant's figure."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import select

from suanli.db.models.audit import AuditEvent
from suanli.db.models.vouchers import VoucherReviewRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import audit

PROBLEM = "application/problem+json"
PROGRAM = """\
id: docs-test
title: {zh: 测试, en: test}
issuer: {zh: 局, en: bureau}
year: 2026
budget_fen: 100_000_000
side: supply
settlement: direct_to_claimant
supply:
  ratios: {compute: 15}
scale:
  min_pflops_fp16: 10
validity: {valid_days: 365}
review_stages:
  - name: scale-verification
    role: program_officer
    actor: {zh: 核验机构, en: verifier}
    verifies_scale: true
    requires: [electricity_use, third_party_verification]
  - name: finance-payment
    role: finance_officer
    actor: {zh: 市财政局, en: finance bureau}
"""
REPORT = b"%PDF-1.4\n" + "第三方算力规模核验报告 12.5 PFLOPS\n".encode() * 10


def _setup(api):  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    provider = api.organisation("qy-dc", OrganisationType.PROVIDER)
    stranger = api.organisation("stranger")
    people = {"officer": api.user("officer", Role.PROGRAM_OFFICER, bureau),
              "finance": api.user("finance", Role.FINANCE_OFFICER, bureau),
              "provider": api.user("dc-admin", Role.PROVIDER_ADMIN, provider),
              "stranger": api.user("stranger", Role.ORG_ADMIN, stranger)}
    c = api.client
    program = c.post("/api/v1/programs", content=PROGRAM, headers=people["officer"]).json()["id"]
    assert c.post(f"/api/v1/programs/{program}/window", json={"open": True}, headers=people["officer"]).status_code == 200
    # The applicant claims 50 PFLOPS; only the reviewer's verified figure will count.
    app = c.post("/api/v1/applications", json={"program_id": program, "project": "smart DC", "side": "supply",
                                               "requested_fen": 5_000_000, "scale_pflops_fp16": "50"},
                 headers=people["provider"])
    assert app.status_code == 201, app.text
    return people, app.json()["id"], {"bureau": bureau, "provider": provider, "stranger": stranger}


def _upload(c, url: str, who, kind: str, data: bytes, name: str = "report.pdf"):  # type: ignore[no-untyped-def]
    return c.post(url, data={"kind": kind}, files={"file": (name, data, "application/pdf")}, headers=who)


def test_a_stage_refuses_the_decision_until_its_documents_and_the_verified_scale_are_there(api) -> None:  # type: ignore[no-untyped-def]
    people, app_id, _ = _setup(api)
    c, officer, provider = api.client, people["officer"], people["provider"]
    docs = f"/api/v1/applications/{app_id}/documents"
    review = f"/api/v1/applications/{app_id}/reviews"

    none = c.post(review, json={"decision": "approve", "verified_scale_pflops_fp16": "12.5"}, headers=officer)
    assert none.status_code == 422 and none.json()["rule"] == "review.documents"
    assert "electricity_use, third_party_verification" in none.json()["detail"]

    bill = _upload(c, docs, provider, "electricity_use", b"%PDF-1.4 electricity bill 2026-01", "电费单.pdf")
    assert bill.status_code == 201, bill.text
    assert bill.json()["filename"] == "电费单.pdf" and bill.json()["kind"] == "electricity_use"
    half = c.post(review, json={"decision": "approve", "verified_scale_pflops_fp16": "12.5"}, headers=officer)
    assert half.status_code == 422 and half.json()["rule"] == "review.documents"
    assert "third_party_verification" in half.json()["detail"] and "electricity_use" not in half.json()["detail"]

    assert _upload(c, docs, provider, "third_party_verification", REPORT).status_code == 201
    unverified = c.post(review, json={"decision": "approve"}, headers=officer)
    assert unverified.status_code == 422 and unverified.json()["rule"] == "scale.unverified"
    # The applicant said 50; the reviewer found 8: refused, whatever the request claimed.
    low = c.post(review, json={"decision": "approve", "verified_scale_pflops_fp16": "8"}, headers=officer)
    assert low.status_code == 422 and low.json()["rule"] == "scale.verified"

    ok = c.post(review, json={"decision": "approve", "verified_scale_pflops_fp16": "12.5"}, headers=officer)
    assert ok.status_code == 201, ok.text
    assert "scale.verified" in [r["id"] for r in ok.json()["rules"]]
    with unit_of_work(api.sessions) as s:
        act = s.scalars(select(VoucherReviewRow).where(VoucherReviewRow.application_id == app_id)).one()
        assert act.verified_scale_pflops_fp16 == "12.5"
    # A stage that does not verify scale takes no scale figure.
    wrong = c.post(review, json={"decision": "approve", "verified_scale_pflops_fp16": "12.5"},
                   headers=people["finance"])
    assert wrong.status_code == 422 and wrong.json()["field"] == "verified_scale_pflops_fp16"
    granted = c.post(review, json={"decision": "approve"}, headers=people["finance"])
    assert granted.status_code == 201 and granted.json()["application_status"] == "granted"
    closed = _upload(c, docs, provider, "invoice", b"late invoice")
    assert closed.status_code == 409 and closed.json()["rule"] == "documents.closed"


def test_documents_are_content_addressed_audited_and_readable_by_reviewers_only(api, settings) -> None:  # type: ignore[no-untyped-def]
    people, app_id, _ = _setup(api)
    c = api.client
    docs = f"/api/v1/applications/{app_id}/documents"
    first = _upload(c, docs, people["provider"], "third_party_verification", REPORT)
    again = _upload(c, docs, people["provider"], "third_party_verification", REPORT, "copy.pdf")
    assert first.status_code == again.status_code == 201
    digest = hashlib.sha256(REPORT).hexdigest()
    assert first.json()["sha256"] == again.json()["sha256"] == digest and first.json()["size_bytes"] == len(REPORT)
    stored = settings.data_dir / "documents" / digest[:2] / digest
    assert stored.read_bytes() == REPORT
    assert [p.name for p in (settings.data_dir / "documents").rglob("*") if p.is_file()] == [digest]  # stored once

    with unit_of_work(api.sessions) as s:
        audit.catch_up(s)  # the upload answered its outbox id; the sequencer places the event after COMMIT
        events = s.scalars(select(AuditEvent).where(AuditEvent.kind == "voucher.document_uploaded")).all()
        assert len(events) == 2 and all(digest.encode() in e.canonical for e in events)
    receipt = first.json()["receipt"]
    assert receipt["outbox_id"] == events[0].outbox_id
    assert receipt["url"] == f"/api/v1/audit/outbox/{receipt['outbox_id']}/receipt"

    doc = first.json()["id"]
    listed = c.get(docs, headers=people["officer"])
    assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [doc, again.json()["id"]]
    download = c.get(f"/api/v1/documents/{doc}/content", headers=people["officer"])
    assert download.status_code == 200 and download.content == REPORT
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert c.get(f"/api/v1/documents/{doc}/content", headers=people["provider"]).content == REPORT

    stranger = people["stranger"]
    for url in (docs, f"/api/v1/documents/{doc}", f"/api/v1/documents/{doc}/content"):
        hidden = c.get(url, headers=stranger)
        assert hidden.status_code == 404 and hidden.headers["content-type"].startswith(PROBLEM), url
    assert c.get("/api/v1/documents/999999", headers=stranger).status_code == 404  # the same 404 as a missing one
    squat = _upload(c, docs, stranger, "invoice", b"not mine")
    assert squat.status_code == 404
    officer_upload = _upload(c, docs, people["officer"], "invoice", b"officers review, they do not file")
    assert officer_upload.status_code == 403


def test_oversized_empty_and_unknown_documents_are_refused_with_nothing_stored(api, settings) -> None:  # type: ignore[no-untyped-def]
    people, app_id, _ = _setup(api)
    c, provider = api.client, people["provider"]
    docs = f"/api/v1/applications/{app_id}/documents"
    big = _upload(c, docs, provider, "electricity_use", b"x" * (settings.max_document_bytes + 1))
    assert big.status_code == 413 and big.headers["content-type"].startswith(PROBLEM)
    assert big.json()["type"].endswith("/document-too-large") and big.json()["limit"] == settings.max_document_bytes
    unknown = _upload(c, docs, provider, "selfie", b"data")
    assert unknown.status_code == 422 and unknown.json()["field"] == "kind"
    empty = _upload(c, docs, provider, "invoice", b"")
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    assert c.get(docs, headers=provider).json() == []
    assert not (settings.data_dir / "documents").exists()
    exact = _upload(c, docs, provider, "electricity_use", b"%PDF" + b"x" * (settings.max_document_bytes - 4))
    assert exact.status_code == 201


def test_contract_documents_are_seen_by_both_parties_and_nobody_else(api) -> None:  # type: ignore[no-untyped-def]
    people, _, orgs = _setup(api)
    c = api.client
    buyer_org = api.organisation("buyer-co")
    buyer = api.user("buyer", Role.ORG_ADMIN, buyer_org)
    contract = c.post("/api/v1/contracts", json={"provider_organisation_id": orgs["provider"], "number": "QY-001",
                                                 "amount_fen": 1_000_000, "signed_on": str(date(2026, 1, 5))},
                      headers=buyer)
    assert contract.status_code == 201, contract.text
    url = f"/api/v1/contracts/{contract.json()['id']}/documents"
    invoice = _upload(c, url, buyer, "invoice", b"%PDF invoice QY-001")
    assert invoice.status_code == 201 and invoice.json()["contract_id"] == contract.json()["id"]
    signed = _upload(c, url, people["provider"], "contract", b"%PDF signed contract QY-001")
    assert signed.status_code == 201
    for who in (buyer, people["provider"], people["officer"]):
        assert [d["kind"] for d in c.get(url, headers=who).json()] == ["invoice", "contract"]
    assert c.get(f"/api/v1/documents/{signed.json()['id']}/content", headers=buyer).status_code == 200
    assert c.get(url, headers=people["stranger"]).status_code == 404
    assert c.get(f"/api/v1/documents/{invoice.json()['id']}", headers=people["stranger"]).status_code == 404
    assert _upload(c, url, people["stranger"], "invoice", b"squat").status_code == 404


def test_the_program_shows_its_management_costs_and_what_can_be_granted(api) -> None:  # type: ignore[no-untyped-def]
    officer = api.user("officer", Role.PROGRAM_OFFICER, api.organisation("bureau", OrganisationType.GOVERNMENT))
    text = PROGRAM.replace("id: docs-test", "id: mgmt-api").replace(
        "budget_fen: 100_000_000\n", "budget_fen: 100_000_000\nmanagement_cost_percent: 2.5\n")
    loaded = api.client.post("/api/v1/programs", content=text, headers=officer)
    assert loaded.status_code == 201, loaded.text
    body = loaded.json()
    assert (body["management_costs"], body["management_costs_fen"], body["grantable_fen"], body["budget_left_fen"]) == (
        "inside_budget", 2_500_000, 97_500_000, 97_500_000)


def test_the_store_check_finds_a_missing_or_altered_evidence_file(api, settings) -> None:  # type: ignore[no-untyped-def]
    from suanli.services.vouchers.documents import check_store

    people, app_id, _ = _setup(api)
    docs = f"/api/v1/applications/{app_id}/documents"
    first = _upload(api.client, docs, people["provider"], "electricity_use", b"%PDF bill").json()
    second = _upload(api.client, docs, people["provider"], "third_party_verification", REPORT).json()
    with unit_of_work(api.sessions) as s:
        assert check_store(s, data_dir=settings.data_dir) == (2, [])
    store = settings.data_dir / "documents"
    (store / first["sha256"][:2] / first["sha256"]).write_bytes(b"%PDF edited bill")
    (store / second["sha256"][:2] / second["sha256"]).unlink()
    with unit_of_work(api.sessions) as s:
        checked, problems = check_store(s, data_dir=settings.data_dir)
    assert checked == 2 and len(problems) == 2
    assert "no longer match" in problems[0] and "missing" in problems[1]
    altered = api.client.get(f"/api/v1/documents/{first['id']}/content", headers=people["officer"])
    assert altered.status_code == 409 and altered.json()["rule"] == "document.integrity"
