"""`/metrics` of the API and of a real `suanli worker` process after a job ran on the local center
(SQLite and PostgreSQL); request ids, the access log and JSON logs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from suanli.config import Settings
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import Role
from suanli.services import settlement

SRC = Path(__file__).resolve().parents[3] / "src"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_api_and_worker_metrics_after_a_job_ran(api, settings: Settings, db_url: str) -> None:
    api.load_federation()
    org = api.organisation("org-a")
    api.user("alice", Role.ORG_MEMBER, org)
    with unit_of_work(api.sessions) as s:
        settlement.deposit_program_budget(s, program_id=1, amount_fen=1_000_000, idempotency_key="budget")
        settlement.grant_to_wallet(s, program_id=1, organisation_id=org, amount_fen=100_000, grant_id=1)
    body = {"name": "hello", "command": "echo hi", "time_limit_s": 60, "center": "local", "pool": "cpu",
            "resources": {"devices": 1}}
    job_id = api.client.post("/api/v1/jobs", json=body, headers=api.auth("alice")).json()["id"]

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUANLI_")}
    env.update(PYTHONPATH=f"{SRC}{os.pathsep}{env.get('PYTHONPATH', '')}", SUANLI_DATABASE_URL=db_url,
               SUANLI_DATA_DIR=str(settings.data_dir), SUANLI_WORKER_METRICS_PORT=str(port),
               SUANLI_LOG_FORMAT="json")
    log = settings.data_dir / "worker.log"  # a file, not a pipe nobody drains while the worker runs
    worker = subprocess.Popen([sys.executable, "-m", "suanli", "worker", "--interval", "0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        deadline = time.monotonic() + 90
        state = "queued"
        while time.monotonic() < deadline and state != "succeeded":
            state = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("alice")).json()["state"]
            time.sleep(0.2)
        assert state == "succeeded"
        scraped = None
        while time.monotonic() < deadline and scraped is None:
            try:
                scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        assert scraped is not None and scraped.status_code == 200
        seen = samples(scraped.text)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    err = log.read_text()

    assert value(seen, "suanli_worker_tick_seconds_count") > 0
    assert time.time() - value(seen, "suanli_worker_last_success_timestamp_seconds") < 60
    assert value(seen, "suanli_placement_cycle_seconds_count") > 0
    assert value(seen, "suanli_backend_call_seconds_count", center="local", operation="submit", outcome="ok") == 1
    assert value(seen, "suanli_backend_call_seconds_count", center="local", operation="observe", outcome="ok") >= 1
    assert value(seen, "suanli_backend_up", center="local") == 1
    assert value(seen, "suanli_jobs", state="succeeded", center="local") == 1
    assert value(seen, "process_resident_memory_bytes") > 0
    assert any(name == "python_info" for name, _ in seen)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "scheduled step ran" and line.get("step") == "audit-checkpoint" for line in lines)

    # A second job waits in the queue now that the worker is gone: the API reports its age.
    api.client.post("/api/v1/jobs", json=body, headers=api.auth("alice"))
    time.sleep(0.05)
    response = api.client.get("/metrics")
    assert response.status_code == 200
    found = samples(response.text)
    assert value(found, "suanli_jobs", state="succeeded", center="local") == 1
    assert value(found, "suanli_jobs", state="queued", center="local") == 1
    assert value(found, "suanli_queue_oldest_age_seconds", center="local") > 0
    assert value(found, "suanli_ledger_transfers_total") >= 2
    assert value(found, "suanli_audit_events_total") >= 2
    assert value(found, "suanli_audit_unsigned_entries") >= 0
    assert value(found, "suanli_voucher_wallets_fen", scope="program:1") == 100_000
    assert value(found, "suanli_program_budget_fen", program="1") == 900_000
    assert value(found, "suanli_http_requests_total", method="POST", route="/api/v1/jobs", status="201") == 2
    assert value(found, "process_cpu_seconds_total") > 0


def test_requests_carry_an_id_and_are_logged_as_json(tmp_path: Path, sqlite_url: str, capfd) -> None:
    from fastapi.testclient import TestClient

    from suanli.api.app import create_app

    settings = Settings(database_url=sqlite_url, data_dir=tmp_path / "data", log_format="json")  # type: ignore[arg-type]
    with TestClient(create_app(settings)) as client:
        given = client.get("/healthz", headers={"X-Request-ID": "edge-42.a"})
        made = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert given.headers["x-request-id"] == "edge-42.a"
    assert made.headers["x-request-id"] != "bad id\nwith newline" and len(made.headers["x-request-id"]) == 32
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in logged if line.get("event") == "request" and line.get("path") == "/healthz"]
    assert [line["request_id"] for line in access] == ["edge-42.a", made.headers["x-request-id"]]
    assert all(line["status"] == 200 and line["ms"] >= 0 for line in access)


def test_an_audit_event_names_the_request_that_made_it(api) -> None:
    from suanli.domain.organisations import OrganisationType

    operator = api.organisation("operator", OrganisationType.PLATFORM)
    admin = api.user("operator-1", Role.PLATFORM_OPERATOR, operator)
    made = api.client.post("/api/v1/users", headers={**admin, "X-Request-ID": "probe-7.b"},
                           json={"username": "new-member", "password": "a-long-pass-42", "role": "org_member",
                                 "organisation_id": operator})
    assert made.status_code == 201, made.text
    events = api.client.get("/api/v1/audit/events?limit=500", headers=admin).json()
    mine = [e for e in events if e["event"]["payload"].get("request_id") == "probe-7.b"]
    assert [e["kind"] for e in mine] == ["user.role_granted"], [e["kind"] for e in events]
    # Events written outside any request (this test's own set-up) carry none.
    assert any("request_id" not in e["event"]["payload"] for e in events)
