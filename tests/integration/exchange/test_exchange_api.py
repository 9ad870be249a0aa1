"""The data exchange through the API on SQLite and PostgreSQL: each delivery mode's whole path from
registration to settlement, the certificate verified offline, a changed byte detected, and every bad
input refused with a precise 4xx and nothing written."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from exchange_world import CSV, EVIDENCE, Exchange, assert_problem, product_body
from sqlalchemy import func, select, update

from suanli.db.models.audit import AuditEvent
from suanli.db.models.exchange import (
    ExchangeBlobRow,
    ExchangeObjectionRow,
    ExchangeOrderRow,
    ExchangeProductRow,
    ExchangeVersionRow,
)
from suanli.db.uow import unit_of_work
from suanli.domain.audit.signing import parse_public_key
from suanli.domain.exchange import verify_certificate, verify_delivery
from suanli.domain.ledger import AccountPurpose, OwnerKind, account_code
from suanli.services import audit, ledger
from suanli_testing import SMALL_FEDERATION


def count(exchange: Exchange, model: Any) -> int:
    with unit_of_work(exchange.api.sessions) as s:
        if model is AuditEvent:
            audit.catch_up(s)  # the log as readers see it (the in-process sequencer may be placing events)
        return int(s.scalar(select(func.count()).select_from(model)))


def balance(exchange: Exchange, code: str) -> int:
    with exchange.api.sessions() as s:
        accounts = [a for a in ledger.list_accounts(s) if a.code == code]
        return ledger.natural_balance(accounts[0]) if accounts else 0


def public_key(exchange: Exchange) -> Any:
    return parse_public_key(exchange.c.get("/api/v1/audit/public-key?format=pem").text)


def test_a_dataset_goes_from_registration_through_notice_and_certificate_to_a_verified_download(exchange) -> None:
    c, h, orgs = exchange.c, exchange.h, exchange.orgs
    pid, vid = exchange.register()
    # During the notice the product is public, anyone may object, and no certificate can be issued yet.
    assert c.get(f"/api/v1/exchange/products/{pid}").status_code == 200
    assert [n["version_id"] for n in c.get("/api/v1/exchange/notices").json()] == [vid]
    objection = c.post(f"/api/v1/exchange/versions/{vid}/objections",
                       json={"name": "市民张三", "contact": "zhang@example.cn", "reason": "来源授权存疑"})
    assert objection.status_code == 201, objection.text
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/certificate", headers=h("operator")), 409,
                   "exchange-conflict")
    resolved = c.post(f"/api/v1/exchange/objections/{objection.json()['id']}/resolution", headers=h("operator"),
                      json={"uphold": False, "resolution": "授权书经核验有效"})
    assert resolved.json()["status"] == "dismissed"
    exchange.end_notice(vid)
    late = c.post(f"/api/v1/exchange/versions/{vid}/objections",
                  json={"name": "李四", "contact": "li@example.cn", "reason": "迟到的异议"})
    assert_problem(late, 409, "exchange-notice-closed")
    assert count(exchange, ExchangeObjectionRow) == 1
    certificate = c.post(f"/api/v1/exchange/versions/{vid}/certificate", headers=h("operator"))
    assert certificate.status_code == 201, certificate.text
    issued = certificate.json()  # its issuance event is placed in the log after COMMIT: named by outbox id
    assert "receipt" not in issued and issued["outbox_id"] > 0
    cert = c.get(issued["receipt_url"]).json()  # the certificate with the log's receipt of its issuance
    assert cert["receipt"]["event"]["kind"] == "exchange.certificate_issued"
    assert cert["body"] == issued["body"] and cert["signature"] == issued["signature"]
    assert cert["body"]["sha256"] == hashlib.sha256(CSV).hexdigest()
    events = count(exchange, AuditEvent)
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/certificate", headers=h("operator")), 409,
                   "exchange-conflict")
    assert count(exchange, AuditEvent) == events  # the refused second certificate wrote nothing

    # Offline: the certificate verifies with the exchange's public key alone; a changed field does not.
    key = public_key(exchange)
    assert verify_certificate(cert, key).ok
    forged = {**cert, "body": {**cert["body"], "title": "别的产品"}}
    assert not verify_certificate(forged, key).ok
    assert c.get(f"/api/v1/exchange/certificates/{cert['body']['number']}").json() == cert

    # The catalogue finds the product by a two-character word in the middle of its description.
    found = c.get("/api/v1/exchange/products", params={"q": "规划"}).json()
    assert [p["id"] for p in found] == [pid]
    assert c.get("/api/v1/exchange/products", params={"q": "医疗"}).json() == []
    assert [p["id"] for p in c.get("/api/v1/exchange/products",
                                   params={"delivery_mode": "dataset", "sector": "交通"}).json()] == [pid]
    assert [d["number"] for d in c.get("/api/v1/exchange/disclosure").json()] == [cert["body"]["number"]]

    # Order, settle, download; the bytes match the certificate and a changed byte is detected.
    assert_problem(c.post("/api/v1/exchange/orders", json={"product_id": pid, "quantity": 2}, headers=h("buyer")),
                   422, "exchange-invalid")  # the licence was not accepted
    order = c.post("/api/v1/exchange/orders", json={"product_id": pid, "quantity": 2, "accept_licence": True},
                   headers=h("buyer"))
    assert order.status_code == 201, order.text
    oid = order.json()["id"]
    assert order.json()["total_fen"] == 200_000 and order.json()["fee_fen"] == 6_000
    assert_problem(c.get(f"/api/v1/exchange/orders/{oid}/download", headers=h("stranger")), 404,
                   "exchange-not-found")
    got = c.get(f"/api/v1/exchange/orders/{oid}/download", headers=h("buyer"))
    assert got.status_code == 200 and got.content == CSV
    assert got.headers["X-Content-SHA256"] == cert["body"]["sha256"]
    assert verify_delivery(got.content, cert, key).ok
    changed = bytearray(got.content)
    changed[5] ^= 1
    assert not verify_delivery(bytes(changed), cert, key).ok

    # Clearing: the buyer owes 2,000 yuan, the supplier is owed it less the 3% fee, the ledger balances.
    assert balance(exchange, account_code(AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION,
                                          orgs["buyer"])) == 200_000
    assert balance(exchange, account_code(AccountPurpose.PROVIDER_PAYABLE, OwnerKind.ORGANISATION,
                                          orgs["supplier"])) == 194_000
    assert balance(exchange, account_code(AccountPurpose.PLATFORM_FEE_INCOME, OwnerKind.PLATFORM, None,
                                          "exchange")) == 6_000
    with exchange.api.sessions() as s:
        assert ledger.check_consistency(s) == []
    invoice = c.get(f"/api/v1/exchange/orders/{oid}/invoice", headers=h("buyer")).json()
    assert invoice["due_fen"] == 200_000 and invoice["lines"][0]["quantity"] == 2
    stats = c.get("/api/v1/exchange/statistics").json()
    assert stats["trades"] == 1 and stats["turnover_fen"] == 200_000 and stats["registered_products"] == 1

    # Storage changed behind the exchange: the download is refused and the quota is not used.
    with unit_of_work(exchange.api.sessions) as s:
        s.execute(update(ExchangeBlobRow).values(content=b"tampered" + CSV[8:]))
    assert_problem(c.get(f"/api/v1/exchange/orders/{oid}/download", headers=h("buyer")), 409,
                   "exchange-content-tampered")
    with exchange.api.sessions() as s:
        assert s.get(ExchangeOrderRow, oid).used == 1


def test_an_api_product_issues_a_scoped_key_whose_calls_are_metered(exchange) -> None:
    c, h = exchange.c, exchange.h
    pid, _vid, _cert = exchange.listed(title="成都空气质量实时接口", delivery_mode="api", price_model="per_call",
                                       price_fen=50, sector="环境")
    other, _, _ = exchange.listed(content=b"a,b\n1,2\n", title="另一个数据集")
    order = c.post("/api/v1/exchange/orders", json={"product_id": pid, "quantity": 2, "accept_licence": True},
                   headers=h("buyer")).json()
    key = order["api_key"]
    assert key and order["total_fen"] == 100
    assert "api_key" not in c.get(f"/api/v1/exchange/orders/{order['id']}", headers=h("buyer")).json() or \
        c.get(f"/api/v1/exchange/orders/{order['id']}", headers=h("buyer")).json()["api_key"] is None
    rows = c.get(f"/api/v1/exchange/data/{pid}/rows?limit=2", headers={"X-Exchange-Key": key})
    assert rows.status_code == 200, rows.text
    assert rows.json()["rows"][0] == {"区县": "锦江区", "日期": "2026-11-01", "客流": "12034"}
    assert rows.json()["total"] == 3 and rows.json()["calls_used"] == 1
    assert_problem(c.get(f"/api/v1/exchange/data/{other}/rows", headers={"X-Exchange-Key": key}), 404,
                   "exchange-not-found")  # the key is scoped to its product
    assert_problem(c.get(f"/api/v1/exchange/data/{pid}/rows", headers={"X-Exchange-Key": "sdx_wrong"}), 401,
                   "unauthenticated")
    assert c.get(f"/api/v1/exchange/data/{pid}/rows?offset=2", headers={"X-Exchange-Key": key}).json()["rows"] == [
        {"区县": "高新区", "日期": "2026-11-01", "客流": "15001"}]
    assert_problem(c.get(f"/api/v1/exchange/data/{pid}/rows", headers={"X-Exchange-Key": key}), 429,
                   "exchange-quota-exhausted")
    with exchange.api.sessions() as s:
        assert s.get(ExchangeOrderRow, order["id"]).used == 2
    assert_problem(c.get(f"/api/v1/exchange/orders/{order['id']}/download", headers=h("buyer")), 404,
                   "exchange-not-found")  # an API order has no file to download


def test_compute_delivery_runs_the_buyers_job_next_to_the_data_and_hands_back_only_its_output(exchange,
                                                                                             settings) -> None:
    from suanli.services.backends import BackendCache
    from suanli.workers.loop import Worker

    c, h = exchange.c, exchange.h
    exchange.api.load_federation(SMALL_FEDERATION)
    pid, _vid, _cert = exchange.listed(title="医保结算明细（隐私计算）", delivery_mode="compute",
                                       price_model="per_download", pi_level="sensitive", price_fen=30_000,
                                       center="local", pool="cpu", sector="医疗")
    order = c.post("/api/v1/exchange/orders", json={"product_id": pid, "accept_licence": True},
                   headers=h("buyer")).json()
    assert_problem(c.get(f"/api/v1/exchange/orders/{order['id']}/download", headers=h("buyer")), 404,
                   "exchange-not-found")
    run = c.post(f"/api/v1/exchange/orders/{order['id']}/jobs", headers=h("buyer"),
                 json={"command": 'wc -l < "$SUANLI_DATASET"', "time_limit_s": 60})
    assert run.status_code == 201, run.text
    job_id = run.json()["job_id"]
    assert_problem(c.post(f"/api/v1/exchange/orders/{order['id']}/jobs", headers=h("stranger"),
                          json={"command": "cat $SUANLI_DATASET"}), 404, "exchange-not-found")
    worker = Worker(exchange.api.sessions, BackendCache(settings.data_dir))
    deadline, job = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        worker.tick()
        job = c.get(f"/api/v1/jobs/{job_id}", headers=h("buyer")).json()
        if job["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "succeeded", job
    assert c.get(f"/api/v1/jobs/{job_id}/logs", headers=h("buyer")).text.strip() == "4"  # lines of the data
    assert c.get(f"/api/v1/exchange/orders/{order['id']}/jobs", headers=h("buyer")).json() == {"job_ids": [job_id]}
    assert_problem(c.post(f"/api/v1/exchange/orders/{order['id']}/jobs", headers=h("buyer"),
                          json={"command": "true"}), 429, "exchange-quota-exhausted")  # one run bought


def test_bad_input_is_refused_precisely_and_writes_nothing(exchange) -> None:
    c, h, orgs = exchange.c, exchange.h, exchange.orgs
    # Not an approved supplier: the buyer cannot register products.
    assert_problem(c.post("/api/v1/exchange/products", json=product_body(), headers=h("buyer")), 403, "forbidden")
    # Sensitive personal information cannot be sold as a file.
    assert_problem(c.post("/api/v1/exchange/products", json=product_body(pi_level="sensitive"),
                          headers=h("supplier")), 422, "exchange-invalid")
    pid = c.post("/api/v1/exchange/products", json=product_body(), headers=h("supplier")).json()["id"]
    assert_problem(c.post(f"/api/v1/exchange/products/{pid}/versions?label=v1", content=CSV,
                          headers={**h("supplier"), "X-Content-SHA256": "0" * 64}), 422, "exchange-invalid")
    vid = c.post(f"/api/v1/exchange/products/{pid}/versions?label=v1", content=CSV, headers=h("supplier")).json()["id"]
    # A draft is invisible to others (404, not 403).
    assert_problem(c.get(f"/api/v1/exchange/products/{pid}", headers=h("stranger")), 404, "exchange-not-found")
    assert_problem(c.get(f"/api/v1/exchange/products/{pid}"), 404, "exchange-not-found")
    events = count(exchange, AuditEvent)
    missing = c.post(f"/api/v1/exchange/versions/{vid}/submit", headers=h("supplier"),
                     json={"assessor_organisation_id": orgs["assessor"],
                           "evidence": {k: v for k, v in EVIDENCE.items() if k != "authorisation"}})
    body = assert_problem(missing, 422, "exchange-evidence-missing")
    assert body["missing"] == ["authorisation"]
    assert count(exchange, AuditEvent) == events
    with exchange.api.sessions() as s:
        assert s.get(ExchangeVersionRow, vid).status == "draft"
    # The assessor must be an approved assessor other than the supplier.
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/submit", headers=h("supplier"),
                          json={"assessor_organisation_id": orgs["buyer"], "evidence": EVIDENCE}), 422,
                   "exchange-invalid")
    # Only the chosen assessor reviews; an objection outside a notice is refused.
    c.post(f"/api/v1/exchange/versions/{vid}/submit", headers=h("supplier"),
           json={"assessor_organisation_id": orgs["assessor"], "evidence": EVIDENCE})
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/stages", headers=h("stranger"),
                          json={"stage": "authorisation", "passed": True}), 404, "exchange-not-found")
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/objections",
                          json={"name": "x", "contact": "y", "reason": "z"}), 404, "exchange-not-found")
    # A failed stage rejects the version; it never reaches the notice.
    failed = c.post(f"/api/v1/exchange/versions/{vid}/stages", headers=h("assessor"),
                    json={"stage": "authorisation", "passed": False, "note": "授权链不完整"})
    assert failed.json()["status"] == "rejected"
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/certificate", headers=h("operator")), 409,
                   "exchange-conflict")
    # An unlisted product cannot be ordered; a stranger's order is a 404 to others.
    assert_problem(c.post("/api/v1/exchange/orders", json={"product_id": pid, "accept_licence": True},
                          headers=h("buyer")), 404, "exchange-not-found")
    assert count(exchange, ExchangeOrderRow) == 0
    # Roles: only the operator decides; a second application is a conflict.
    assert_problem(c.post("/api/v1/exchange/roles", json={"role": "buyer"}, headers=h("buyer")), 409,
                   "exchange-conflict")
    assert_problem(c.post("/api/v1/exchange/roles", json={"role": "king"}, headers=h("buyer")), 422,
                   "exchange-invalid")


def test_a_product_whose_columns_are_not_well_formed_is_a_422_and_nothing_is_registered(exchange) -> None:
    c, h = exchange.c, exchange.h
    for columns in (["区县", 5], [{"name": ""}], [{"name": "区县"}, {"name": "区县"}], [{"name": "x", "type": "blob"}],
                    [{"name": "x" * 10_000}], [{"name": f"c{i}"} for i in range(201)], {"name": "区县"}):
        refused = assert_problem(c.post("/api/v1/exchange/products", json=product_body(columns=columns),
                                        headers=h("supplier")), 422, "exchange-invalid" if
                                 isinstance(columns, list) else "invalid-input")
        assert "columns" in refused["detail"]
    with exchange.api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeProductRow)) == 0
    made = c.post("/api/v1/exchange/products", headers=h("supplier"),
                  json=product_body(columns=[{"name": "区县", "type": "string"}, {"name": "客流", "type": "integer"}]))
    assert made.status_code == 201, made.text
    assert made.json()["columns"] == [{"name": "区县", "type": "string"}, {"name": "客流", "type": "integer"}]


def test_a_price_written_as_text_is_a_422_and_as_a_number_is_registered(exchange) -> None:
    c, h = exchange.c, exchange.h
    for price in ("100000", "1e5", "100000.0"):
        refused = assert_problem(c.post("/api/v1/exchange/products", json=product_body(price_fen=price),
                                        headers=h("supplier")), 422, "invalid-input")
        assert refused["detail"].startswith("body.price_fen")
    with exchange.api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeProductRow)) == 0
    made = c.post("/api/v1/exchange/products", json=product_body(price_fen=100_000), headers=h("supplier"))
    assert made.status_code == 201 and made.json()["price_fen"] == 100_000


def test_an_upheld_objection_rejects_the_version_and_it_can_never_be_certified(exchange) -> None:
    c, h = exchange.c, exchange.h
    pid, vid = exchange.register(title="有争议的数据产品")
    lodged = c.post(f"/api/v1/exchange/versions/{vid}/objections", headers=h("stranger"),
                    json={"name": "王五", "contact": "wang@example.cn", "reason": "含未授权的个人信息"}).json()
    assert [o["id"] for o in c.get("/api/v1/exchange/objections", headers=h("operator")).json()] == [lodged["id"]]
    assert_problem(c.get("/api/v1/exchange/objections", headers=h("buyer")), 403, "forbidden")
    assert_problem(c.post(f"/api/v1/exchange/objections/{lodged['id']}/resolution", headers=h("supplier"),
                          json={"uphold": False, "resolution": "自己驳回"}), 403, "forbidden")
    upheld = c.post(f"/api/v1/exchange/objections/{lodged['id']}/resolution", headers=h("operator"),
                    json={"uphold": True, "resolution": "核实存在未授权个人信息"})
    assert upheld.json()["status"] == "upheld"
    assert_problem(c.post(f"/api/v1/exchange/objections/{lodged['id']}/resolution", headers=h("operator"),
                          json={"uphold": False, "resolution": "再次处理"}), 409, "exchange-conflict")
    versions = c.get(f"/api/v1/exchange/products/{pid}", headers=h("supplier")).json()["versions"]
    assert [v["status"] for v in versions] == ["rejected"]
    exchange.end_notice(vid)
    assert_problem(c.post(f"/api/v1/exchange/versions/{vid}/certificate", headers=h("operator")), 409,
                   "exchange-conflict")
    assert_problem(c.get(f"/api/v1/exchange/products/{pid}"), 404, "exchange-not-found")  # never listed


def test_an_api_product_version_no_call_could_read_is_refused_at_upload_and_nothing_is_kept(exchange) -> None:
    """Before, the file was accepted and certified, and then every buyer's call was a 422."""
    c, h = exchange.c, exchange.h
    product = c.post("/api/v1/exchange/products", headers=h("supplier"), json=product_body(
        title="空气质量接口", delivery_mode="api", price_model="per_call", price_fen=50, sector="环境"))
    assert product.status_code == 201, product.text
    url = f"/api/v1/exchange/products/{product.json()['id']}/versions?label=2026.12"
    before = (count(exchange, ExchangeVersionRow), count(exchange, ExchangeBlobRow), count(exchange, AuditEvent))
    for content, detail in ((b'a,b\n"' + b"x" * 200_000 + b'",1\n', "line 2: the content cannot be read as CSV"),
                            (bytes(range(128, 256)), "line 1: the content is not UTF-8 CSV"),
                            ("区县,客流\n锦江区,1\n".encode("gbk"), "line 1: the content is not UTF-8 CSV"),
                            (b"a,a\n1,2\n", "line 1: the column 'a' is named twice"),
                            (b",b\n1,2\n", "line 1: the first line must name every column"),
                            (b"a,b\n1,2\n1,2,3\n", "line 3: the row has 3 fields but the header names 2")):
        refused = assert_problem(c.post(url, content=content, headers=h("supplier")), 422, "exchange-invalid")
        assert refused["detail"].startswith(detail) and refused["field"] == "content", refused
    assert (count(exchange, ExchangeVersionRow), count(exchange, ExchangeBlobRow), count(exchange, AuditEvent)) == before
    assert c.post(url, content=b"\xef\xbb\xbfa,b\n1,2\n", headers=h("supplier")).status_code == 201
