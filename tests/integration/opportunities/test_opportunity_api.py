"""The opportunity list over HTTP: a sheet uploaded, a duplicate row a 409 naming it (nothing written),
the board public, matching and quoting for signed-in organisations, another tenant's request a 404."""

from __future__ import annotations

from opportunity_world import drafts

from suanli.domain.opportunities.table import to_xlsx
from suanli.domain.organisations import OrganisationType, Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_bureau_publishes_a_sheet_and_organisations_match_on_it(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    officer2 = api.user("officer2", Role.PROGRAM_OFFICER, bureau)
    yilian = api.user("yilian", Role.ORG_ADMIN, api.organisation("四川医联影像科技有限公司"))
    api.load_federation()
    batch = api.client.post("/api/v1/opportunity-batches", json={"title": "第一批"}, headers=officer).json()
    rows = drafts()
    bad = api.client.post(f"/api/v1/opportunity-batches/{batch['id']}/items", headers=officer,
                          files={"file": ("list.xlsx", to_xlsx([*rows, rows[1]]), XLSX)})
    assert bad.status_code == 409 and bad.json()["row"] == 5 and "row 5 repeats row 3" in bad.json()["detail"]
    assert api.client.get("/api/v1/opportunities").json()["total"] == 0
    ok = api.client.post(f"/api/v1/opportunity-batches/{batch['id']}/items", headers=officer,
                         files={"file": ("list.xlsx", to_xlsx(rows), XLSX)})
    assert ok.status_code == 201 and len(ok.json()) == 3
    assert api.client.post(f"/api/v1/opportunity-batches/{batch['id']}/submit", headers=officer).status_code == 200
    review = api.client.post(f"/api/v1/opportunity-batches/{batch['id']}/review", headers=officer2,
                             json={"decision": "publish"})
    assert review.json()["status"] == "published"
    found = api.client.get("/api/v1/opportunities", params={"q": "结节"}).json()
    assert [i["code"] for i in found["items"]] == ["2023-D-001"]
    item_id = found["items"][0]["id"]
    assert api.client.get(f"/api/v1/opportunity-batches/{batch['id']}/export?format=csv").status_code == 200
    quote = api.client.post(f"/api/v1/opportunities/{item_id}/quote", headers=yilian)
    assert quote.status_code == 200 and quote.json()["options"]
    supply = api.client.get("/api/v1/opportunities", params={"q": "信号"}).json()["items"][0]
    match = api.client.post(f"/api/v1/opportunities/{supply['id']}/matches", headers=yilian, json={"message": "想合作"})
    assert match.status_code == 201
    again = api.client.post(f"/api/v1/opportunities/{supply['id']}/matches", headers=yilian, json={})
    assert again.status_code == 409
    stranger = api.user("stranger", Role.ORG_ADMIN, api.organisation("stranger"))
    history = api.client.get(f"/api/v1/opportunity-matches/{match.json()['id']}/history", headers=stranger)
    assert history.status_code == 404
