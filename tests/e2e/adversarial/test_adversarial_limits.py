"""Input limits: every way to send too much or too big is bounded and answered with a clear
problem+json, never a 500: body size (413, declared or streamed), federation and program file
uploads, page sizes, string lengths, number ranges and ids past what a database column holds."""

from __future__ import annotations

from collections.abc import Iterator

from adversarial_world import JOB, World
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
HUGE = 2**63  # one past the largest BIGINT


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, f"{response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"] and body["type"].startswith("https://")
    return body


def test_bodies_over_the_limit_are_refused_with_413_declared_or_streamed(world: World) -> None:
    w, c = world, world.client
    limit = c.app.state.settings.max_body_bytes
    big = {**JOB, "command": "x" * (limit + 10)}
    assert "larger than" in problem(c.post("/api/v1/jobs", json=big, headers=w.auth("member_a")), 413)["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count what streams in
        for _ in range(limit // 65_536 + 2):
            yield b" " * 65_536

    problem(c.post("/api/v1/jobs", content=chunks(), headers={**w.auth("member_a"),
                                                              "Content-Type": "application/json"}), 413)
    problem(c.post("/api/v1/jobs", content=b"{}", headers={**w.auth("member_a"), "Content-Length": "nope"}), 413)


def test_federation_and_program_files_are_bounded(world: World) -> None:
    w, c = world, world.client
    limit = c.app.state.settings.max_body_bytes
    operator, officer = w.auth("operator"), w.auth("officer")
    problem(c.post("/api/v1/federation", json={"yaml": "#" * 1_000_001}, headers=operator), 422)
    problem(c.post("/api/v1/federation", json={"yaml": "#" * (limit + 1)}, headers=operator), 413)
    # Regression (found by this suite): deeply nested YAML raised RecursionError in the parsers -> 500.
    problem(c.post("/api/v1/federation", json={"yaml": "centers: " + "[" * 5000}, headers=operator), 422)
    problem(c.post("/api/v1/programs", content=b"code: " + b"[" * 5000, headers=officer), 422)
    problem(c.post("/api/v1/programs", content=b"a: 1\n" * (limit // 5 + 1), headers=officer), 413)
    problem(c.post("/api/v1/programs", content=b"\xff\xfe not utf-8", headers=officer), 422)


def test_page_sizes_are_bounded(world: World) -> None:
    w, c = world, world.client
    for path in ("/api/v1/jobs", "/api/v1/organisations", "/api/v1/audit/events", "/api/v1/programs",
                 "/api/v1/wallets", "/api/v1/ledger/transfers"):
        for query in ("limit=501", "limit=0", "limit=-1", "offset=-1", "limit=abc"):
            problem(c.get(f"{path}?{query}", headers=w.auth("operator")), 422)
        assert c.get(f"{path}?limit=500", headers=w.auth("operator")).status_code == 200
    problem(c.get("/api/v1/jobs?offset=10000001", headers=w.auth("operator")), 422)


def test_string_lengths_are_bounded(world: World) -> None:
    w, c = world, world.client
    member, operator = w.auth("member_a"), w.auth("operator")
    problem(c.post("/api/v1/jobs", json={**JOB, "name": "n" * 129}, headers=member), 422)
    problem(c.post("/api/v1/jobs", json={**JOB, "center": "c" * 64}, headers=member), 422)
    problem(c.post("/api/v1/auth/login", json={"username": "u" * 65, "password": "p"}), 422)
    problem(c.post("/api/v1/auth/login", json={"username": "u", "password": "p" * 257}), 422)
    org = {"name": "n" * 201, "name_zh": "x", "type": "enterprise", "city": "成都"}
    problem(c.post("/api/v1/organisations", json=org, headers=operator), 422)
    problem(c.get("/api/v1/audit/events?kind=" + "k" * 101, headers=operator), 422)
    problem(c.post("/api/v1/ledger/transfers", json={"legs": [], "memo": "m" * 501},
                   headers={**operator, "Idempotency-Key": "k" * 201}), 422)
    problem(c.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + "t" * 201}), 401)


def test_number_ranges_are_bounded(world: World) -> None:
    w, c = world, world.client
    member = w.auth("member_a")
    for resources in ({"devices": 0}, {"devices": 100_001}, {"devices": 1, "cpus_per_device": 0},
                      {"devices": 1, "memory_gb_per_device": -1}, {"devices": 1.5}, {"devices": "1; DROP"}):
        problem(c.post("/api/v1/jobs", json={**JOB, "resources": resources}, headers=member), 422)
    for limit in (0, -5, 10**12):
        problem(c.post("/api/v1/jobs", json={**JOB, "time_limit_s": limit}, headers=member), 422)
    problem(c.post("/api/v1/quotes", json={"devices": 1, "hours": 10**9}, headers=member), 422)
    problem(c.get("/api/v1/jobs/1/logs?limit=0", headers=member), 422)
    body = {"program_id": w.globals["program_id"], "project": "p", "requested_fen": 10**16}
    problem(c.post("/api/v1/applications", json=body, headers=w.auth("admin_a")), 422)


def test_ids_and_amounts_past_a_bigint_are_bad_input_not_a_server_error(world: World) -> None:
    """Regression (found by this suite): an id or amount of 2**63 reached the database and answered 500
    (SQLite OverflowError); now every such request is a 4xx problem+json."""
    w = world
    client = TestClient(w.client.app, raise_server_exceptions=False)
    operator, admin = w.auth("operator"), w.auth("admin_a")
    cash, equity = w.globals["cash_account"], w.globals["equity_account"]
    gets = ["/api/v1/jobs/{}", "/api/v1/jobs/{}/logs", "/api/v1/organisations/{}", "/api/v1/ledger/accounts/{}",
            "/api/v1/ledger/transfers/{}", "/api/v1/ledger/invoices/{}", "/api/v1/programs/{}",
            "/api/v1/applications/{}/grant", "/api/v1/audit/events/{}/receipt", "/api/v1/ledger/transfers?account_id={}",
            "/api/v1/wallets?program_id={}", "/api/v1/ledger/accounts?owner_id={}", "/api/v1/ledger/statements/{}"]
    for template in gets:
        for value in (HUGE, 10**30, -HUGE - 1):
            answer = client.get(template.format(value), headers=operator)
            assert 400 <= answer.status_code < 500 and answer.headers["content-type"].startswith(PROBLEM), \
                (template.format(value), answer.status_code, answer.text[:200])
    writes = [
        ("/api/v1/ledger/transfers", {"legs": [{"account_id": cash, "side": "debit", "amount_fen": HUGE},
                                               {"account_id": equity, "side": "credit", "amount_fen": HUGE}]}),
        ("/api/v1/ledger/transfers", {"legs": [{"account_id": HUGE, "side": "debit", "amount_fen": 1},
                                               {"account_id": equity, "side": "credit", "amount_fen": 1}]}),
        ("/api/v1/ledger/holds", {"debit_account_id": cash, "credit_account_id": equity, "amount_fen": HUGE}),
        ("/api/v1/ledger/invoices", {"organisation_id": HUGE, "month": "2024-01"}),
        ("/api/v1/users", {"username": "overflow", "password": "long-enough-42", "role": "org_member",
                           "organisation_id": HUGE}),
    ]
    for i, (path, body) in enumerate(writes):
        answer = client.post(path, json=body, headers={**operator, "Idempotency-Key": f"overflow-{i}"})
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:200])
    answer = client.post(f"/api/v1/jobs/{HUGE}/cancel", headers=admin)
    assert 400 <= answer.status_code < 500, answer.text
