"""`POST /api/v1/quotes` and `suanli quote` over a real database."""

from __future__ import annotations

from suanli.domain.organisations import Role


def signed_in(api):
    api.load_federation()
    org = api.organisation("Acme AI")
    return api.user("alice", Role.ORG_MEMBER, org)


def test_a_signed_in_user_gets_ranked_options_with_every_column_and_reasons_in_both_languages(api):
    headers = signed_in(api)
    response = api.client.post("/api/v1/quotes", headers=headers,
                               json={"devices": 8, "ecosystems": ["cuda"], "min_device_memory_gb": 64, "hours": 12,
                                     "prefer": "cheapest"})
    assert response.status_code == 200, response.text
    body = response.json()
    (option,) = body["options"]
    assert (option["center"], option["pool"], option["devices"]) == ("gpu-cloud", "a800", 8)
    assert option["list_price_fen"] == 8 * 12 * 1800 and option["price_fen"] == option["list_price_fen"] - option["subsidy_fen"]
    assert {"expected_start_h", "energy_kwh", "score", "components"} <= set(option)
    (excluded,) = body["excluded"]
    assert excluded["code"] == "wrong_ecosystem" and set(excluded["message"]) == {"zh", "en"}


def test_an_impossible_quote_is_a_422_problem_with_alternatives(api):
    headers = signed_in(api)
    response = api.client.post("/api/v1/quotes", headers=headers, json={"devices": 64, "models": "A800|H800"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/no-feasible-placement")
    assert problem["alternatives"][0]["suggestion"]["en"] == "ask for at most 16 devices"


def test_conflicting_constraints_are_a_422_naming_them(api):
    headers = signed_in(api)
    response = api.client.post("/api/v1/quotes", headers=headers, json={"devices": 8, "hours": 10, "deadline_hours": 2})
    assert response.status_code == 422 and response.json()["type"].endswith("/conflicting-constraints")
    assert "sooner than the runtime" in response.json()["conflicts"][0]


def test_bad_input_is_a_422_not_a_500(api):
    headers = signed_in(api)
    for body in ({"devices": 0}, {"devices": 8, "ecosystems": ["quantum"]}, {"devices": 8, "models": "Z9"},
                 {"devices": 8, "prefer": "lucky"}, {"devices": 8, "equivalents": 8}, {}):
        assert api.client.post("/api/v1/quotes", headers=headers, json=body).status_code == 422, body


def test_a_quote_needs_a_signed_in_user(api):
    assert api.client.post("/api/v1/quotes", json={"devices": 1}).status_code == 401
