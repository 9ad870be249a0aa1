"""The voucher API: an officer loads and opens a program, an organisation applies, two officers
review and grant, the organisation sees its wallet, the officer exports the disclosure list; bad input
is a problem+json naming the rule, with nothing written."""

from __future__ import annotations

from pathlib import Path

from suanli.domain.organisations import OrganisationType, Role

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
PROBLEM = "application/problem+json"
# The shipped Chengdu 2023 file without its dated window, so the test runs on any day.
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")


def test_the_voucher_flow_over_http_with_roles_and_problems(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    sme = api.organisation("rongcheng-ai", sme=True)
    big = api.organisation("big-corp")
    officer, officer2 = api.user("officer", Role.PROGRAM_OFFICER, bureau), api.user("officer2", Role.PROGRAM_OFFICER, bureau)
    admin, other = api.user("sme", Role.ORG_ADMIN, sme), api.user("big", Role.ORG_ADMIN, big)
    c = api.client

    assert c.post("/api/v1/programs", content=TEXT, headers=admin).status_code == 403
    bad = c.post("/api/v1/programs", content=TEXT.replace("side: demand", "side: sideways"), headers=officer)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert bad.json()["field"] == "side" and bad.json()["line"] == 8
    loaded = c.post("/api/v1/programs", content=TEXT, headers=officer)
    assert loaded.status_code == 201, loaded.text
    program = loaded.json()["id"]

    body = {"program_id": program, "project": "traffic model", "requested_fen": 10_000_000}
    closed = c.post("/api/v1/applications", json=body, headers=admin)
    assert closed.status_code == 422 and closed.json()["rule"] == "window.open"
    assert c.post(f"/api/v1/programs/{program}/window", json={"open": True}, headers=officer).status_code == 200
    ineligible = c.post("/api/v1/applications", json=body, headers=other)
    assert ineligible.status_code == 422 and ineligible.json()["rule"] == "org.tech-sme"
    assert c.get("/api/v1/applications", headers=officer).json() == []

    app = c.post("/api/v1/applications", json=body, headers=admin)
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    low = c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True, "score": 40}, headers=officer)
    assert low.status_code == 422 and low.json()["rule"] == "review.min-score"
    assert c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True, "score": 80},
                  headers=officer).status_code == 201
    same = c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True}, headers=officer)
    assert same.status_code == 403 and same.json()["rule"] == "review.same-person"
    granted = c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True}, headers=officer2)
    assert granted.status_code == 201 and granted.json()["application_status"] == "granted"
    again = c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True}, headers=officer2)
    assert again.status_code == 409

    wallets = c.get("/api/v1/wallets", headers=admin).json()
    assert wallets[0]["available_fen"] == 10_000_000
    assert c.get("/api/v1/wallets", headers=other).json() == []
    forecast = c.get(f"/api/v1/programs/{program}/forecast", headers=officer).json()
    assert forecast["remaining_fen"] == 990_000_000 and forecast["runs_out_on"]
    assert c.get(f"/api/v1/programs/{program}/forecast", headers=admin).status_code == 403
    csv = c.get(f"/api/v1/programs/{program}/disclosure?format=csv&publish=true", headers=officer)
    assert csv.status_code == 200 and "rongcheng-ai" in csv.content.decode("utf-8-sig")
    xlsx = c.get(f"/api/v1/programs/{program}/disclosure?format=xlsx", headers=officer)
    assert xlsx.content[:2] == b"PK"
