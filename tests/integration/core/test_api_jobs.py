"""The core API on SQLite and PostgreSQL: sign-in, tenants, jobs and every bad input named in the issue."""

import time

import pytest

from suanli.domain.organisations import OrganisationType, Role

PROBLEM = "application/problem+json"


@pytest.fixture
def two_tenants(api):
    api.load_federation()
    a = api.organisation("org-a")
    b = api.organisation("org-b", OrganisationType.UNIVERSITY)
    api.user("alice", Role.ORG_MEMBER, a)
    api.user("anna", Role.ORG_ADMIN, a)
    api.user("bob", Role.ORG_MEMBER, b)
    return api


def job_body(**overrides):
    body = {"name": "hello", "command": "echo hi", "time_limit_s": 60, "center": "local", "pool": "cpu",
            "resources": {"devices": 1}}
    body.update(overrides)
    return body


def assert_problem(response, status, slug):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status and body["detail"]
    return body


def test_health_readiness_openapi_and_metrics_answer(api):
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "/api/v1/jobs" in paths
    api.client.get("/healthz")
    assert "suanli_http_requests_total" in api.client.get("/metrics").text


def test_a_member_submits_a_job_and_sees_it_but_another_tenant_gets_404(two_tenants):
    api = two_tenants
    job = api.client.post("/api/v1/jobs", json=job_body(), headers=api.auth("alice"))
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    assert job.json()["state"] == "queued"
    assert api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("alice")).status_code == 200
    assert api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("anna")).status_code == 200
    assert_problem(api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("bob")), 404, "not-found")
    assert_problem(api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=api.auth("bob")), 404, "not-found")
    assert api.client.get("/api/v1/jobs", headers=api.auth("bob")).json() == []
    assert [j["id"] for j in api.client.get("/api/v1/jobs", headers=api.auth("alice")).json()] == [job_id]


def test_listing_filters_by_state_and_paginates(two_tenants):
    api = two_tenants
    ids = [api.client.post("/api/v1/jobs", json=job_body(name=f"j{i}"), headers=api.auth("alice")).json()["id"]
           for i in range(5)]
    api.client.post(f"/api/v1/jobs/{ids[0]}/cancel", headers=api.auth("alice"))
    page = api.client.get("/api/v1/jobs?limit=2&offset=1", headers=api.auth("alice")).json()
    assert [j["id"] for j in page] == [ids[3], ids[2]]
    cancelled = api.client.get("/api/v1/jobs?state=cancelled", headers=api.auth("alice")).json()
    assert [j["id"] for j in cancelled] == [ids[0]]
    assert_problem(api.client.get("/api/v1/jobs?state=sleeping", headers=api.auth("alice")), 422, "invalid-input")
    assert_problem(api.client.get("/api/v1/jobs?limit=100000", headers=api.auth("alice")), 422, "invalid-input")


def test_cancelling_a_finished_job_is_an_illegal_transition(two_tenants):
    api = two_tenants
    job_id = api.client.post("/api/v1/jobs", json=job_body(), headers=api.auth("alice")).json()["id"]
    assert api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=api.auth("alice")).json()["state"] == "cancelled"
    body = assert_problem(api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=api.auth("alice")), 409,
                          "illegal-transition")
    assert body["current"] == "cancelled"


@pytest.mark.parametrize(
    ("change", "status", "slug"),
    [
        ({"resources": {"devices": 0}}, 422, "invalid-input"),
        ({"resources": {"devices": -3}}, 422, "invalid-input"),
        ({"resources": {"devices": 1, "models": ["B9000"]}}, 422, "invalid-resource-request"),
        ({"resources": {"devices": 1, "ecosystems": ["opencl"]}}, 422, "invalid-resource-request"),
        ({"resources": {"devices": 3}}, 422, "invalid-resource-request"),  # the cpu pool has 2
        ({"center": None, "pool": None, "resources": {"devices": 5000}}, 422, "invalid-resource-request"),
        ({"center": "nowhere", "pool": "cpu"}, 404, "not-found"),
        ({"center": "local", "pool": None}, 422, "invalid-input"),
        ({"command": "x" * 20_000}, 422, "invalid-input"),
        ({"time_limit_s": 0}, 422, "invalid-input"),
        ({"surprise": 1}, 422, "invalid-input"),
    ],
)
def test_bad_job_requests_get_a_precise_problem_and_write_nothing(two_tenants, change, status, slug):
    api = two_tenants
    assert_problem(api.client.post("/api/v1/jobs", json=job_body(**change), headers=api.auth("alice")), status, slug)
    assert api.client.get("/api/v1/jobs", headers=api.auth("alice")).json() == []


def test_an_impossible_auto_request_lists_what_the_federation_has(two_tenants):
    api = two_tenants
    body = job_body(center=None, pool=None, resources={"devices": 5000})
    problem = api.client.post("/api/v1/jobs", json=body, headers=api.auth("alice")).json()
    assert problem["largest_pool_devices"] == 16
    assert set(problem["ecosystems_available"]) == {"cpu", "cuda"}


def test_malformed_json_and_oversized_bodies_are_problems_not_500s(two_tenants):
    api = two_tenants
    r = api.client.post("/api/v1/jobs", content=b"{not json", headers={**api.auth("alice"), "content-type": "application/json"})
    assert_problem(r, 422, "invalid-input")
    r = api.client.post("/api/v1/jobs", content=b"x" * 2_000_000, headers={**api.auth("alice"), "content-type": "application/json"})
    assert_problem(r, 413, "payload-too-large")


def test_wrong_missing_and_revoked_tokens_are_refused(two_tenants):
    api = two_tenants
    assert_problem(api.client.get("/api/v1/jobs"), 401, "unauthenticated")
    assert_problem(api.client.get("/api/v1/jobs", headers={"Authorization": "Bearer nope"}), 401, "unauthenticated")
    headers = api.auth("alice")
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_problem(api.client.get("/api/v1/jobs", headers=headers), 401, "unauthenticated")


def test_an_expired_token_is_refused(two_tenants):
    from datetime import timedelta

    from sqlalchemy import update

    from suanli.db.models.base import utcnow
    from suanli.db.models.organisations import ApiTokenRow
    from suanli.db.uow import unit_of_work

    api = two_tenants
    with unit_of_work(api.sessions) as s:
        s.execute(update(ApiTokenRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    body = assert_problem(api.client.get("/api/v1/jobs", headers=api.auth("alice")), 401, "unauthenticated")
    assert "expired" in body["detail"]


def test_repeated_wrong_passwords_lock_the_username_for_a_while(two_tenants):
    api = two_tenants
    for _ in range(5):
        assert_problem(api.client.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong-1234"}),
                       401, "unauthenticated")
    locked = api.client.post("/api/v1/auth/login", json={"username": "alice", "password": "correct-horse-42"})
    assert_problem(locked, 429, "too-many-requests")
    assert int(locked.headers["retry-after"]) > 0


def test_only_the_operator_creates_organisations_and_duplicate_names_conflict(two_tenants):
    api = two_tenants
    op_org = api.organisation("platform", OrganisationType.PLATFORM)
    api.user("operator", Role.PLATFORM_OPERATOR, op_org)
    body = {"name": "new-co", "name_zh": "新公司", "type": "enterprise", "city": "成都"}
    assert_problem(api.client.post("/api/v1/organisations", json=body, headers=api.auth("anna")), 403, "forbidden")
    assert api.client.post("/api/v1/organisations", json=body, headers=api.auth("operator")).status_code == 201
    assert_problem(api.client.post("/api/v1/organisations", json=body, headers=api.auth("operator")), 409, "duplicate-name")
    maker = {**body, "name": "makers", "type": "maker"}
    assert_problem(api.client.post("/api/v1/organisations", json=maker, headers=api.auth("operator")), 422, "invalid-input")


def test_a_member_sees_only_their_own_organisation(two_tenants):
    api = two_tenants
    orgs = api.client.get("/api/v1/organisations", headers=api.auth("bob")).json()
    assert [o["name"] for o in orgs] == ["org-b"]


def test_an_org_admin_adds_members_only_to_their_own_organisation_with_a_good_password(two_tenants):
    api = two_tenants
    me = api.client.get("/api/v1/auth/me", headers=api.auth("anna")).json()
    good = {"username": "carol", "password": "longenough-123", "role": "org_member", "organisation_id": me["organisation_id"]}
    assert api.client.post("/api/v1/users", json=good, headers=api.auth("anna")).status_code == 201
    weak = {**good, "username": "dave", "password": "short"}
    assert_problem(api.client.post("/api/v1/users", json=weak, headers=api.auth("anna")), 422, "invalid-input")
    elevate = {**good, "username": "eve", "role": "program_officer"}
    assert_problem(api.client.post("/api/v1/users", json=elevate, headers=api.auth("anna")), 403, "forbidden")


def test_the_operator_loads_a_federation_and_a_malformed_one_changes_nothing(two_tenants):
    api = two_tenants
    op_org = api.organisation("platform", OrganisationType.PLATFORM)
    api.user("operator", Role.PLATFORM_OPERATOR, op_org)
    bad = "centers:\n  - name: extra\n    name_zh: x\n    kind: ai\n    city: c\n    backend: {kind: local}\n    pools:\n      - {name: p, model: Z99, nodes: 1, devices_per_node: 1, price_fen_per_device_hour: 1}\n"
    body = assert_problem(api.client.post("/api/v1/federation", json={"yaml": bad}, headers=api.auth("operator")), 422,
                          "invalid-federation-file")
    assert body["line"] == 8 and "Z99" in body["detail"]
    names = [c["name"] for c in api.client.get("/api/v1/centers", headers=api.auth("operator")).json()]
    assert names == ["local", "gpu-cloud"]


def test_a_job_runs_on_the_local_backend_through_the_worker_and_is_metered_once(two_tenants, settings):
    from suanli.services.backends import BackendCache
    from suanli.workers.loop import Worker

    api = two_tenants
    job_id = api.client.post("/api/v1/jobs", json=job_body(command="echo 你好; sleep 0.5"),
                             headers=api.auth("alice")).json()["id"]
    worker = Worker(api.sessions, BackendCache(settings.data_dir))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        worker.tick()
        job = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("alice")).json()
        if job["state"] == "succeeded":
            break
        time.sleep(0.1)
    assert job["state"] == "succeeded", job
    assert [e["to_state"] for e in job["events"]][:2] == ["queued", "dispatched"]
    assert len(job["usage"]) == 1 and job["usage"][0]["device_seconds"] >= 1
    logs = api.client.get(f"/api/v1/jobs/{job_id}/logs", headers=api.auth("alice"))
    assert logs.text == "你好\n"
    for _ in range(3):
        worker.tick()  # further ticks must not meter again
    assert len(api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("alice")).json()["usage"]) == 1


def test_a_running_job_is_cancelled_at_the_backend(two_tenants, settings):
    from suanli.services.backends import BackendCache
    from suanli.workers.loop import Worker

    api = two_tenants
    job_id = api.client.post("/api/v1/jobs", json=job_body(command="sleep 60"), headers=api.auth("alice")).json()["id"]
    worker = Worker(api.sessions, BackendCache(settings.data_dir))
    state = "queued"
    deadline = time.monotonic() + 15
    while state != "running" and time.monotonic() < deadline:
        worker.tick()
        state = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("alice")).json()["state"]
        time.sleep(0.1)
    assert state == "running"
    assert api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=api.auth("alice")).json()["state"] == "cancelling"
    while state != "cancelled" and time.monotonic() < deadline + 10:
        worker.tick()
        state = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("alice")).json()["state"]
        time.sleep(0.1)
    assert state == "cancelled"


def test_an_auto_job_keeps_its_preferences_for_the_broker(two_tenants):
    api = two_tenants
    body = job_body(center=None, pool=None, preferences={"prefer": "cheapest", "max_price_fen": 5000})
    job = api.client.post("/api/v1/jobs", json=body, headers=api.auth("alice"))
    assert job.status_code == 201, job.text
    assert job.json()["request"]["prefer"] == "cheapest" and job.json()["request"]["max_price_fen"] == 5000
    bad = job_body(center=None, pool=None, preferences={"prefer": "luckiest"})
    assert_problem(api.client.post("/api/v1/jobs", json=bad, headers=api.auth("alice")), 422, "invalid-input")


def test_one_client_spraying_a_password_across_usernames_is_slowed_down(api, settings):
    api.client.app.state.failed_sign_ins.limit = 5
    for i in range(5):
        r = api.client.post("/api/v1/auth/login", json={"username": f"user{i}", "password": "Password123"})
        assert r.status_code == 401
    sprayed = api.client.post("/api/v1/auth/login", json={"username": "user9", "password": "Password123"})
    assert_problem(sprayed, 429, "too-many-requests")
