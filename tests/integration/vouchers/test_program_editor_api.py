"""The program editor through the API: a proposed file is checked at once (file, line and field), read
back in words with its difference from the issuer's program in force, and published only by a second
officer (四眼原则), which loads it and writes both people into the log. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from suanli.domain.organisations import OrganisationType, Role

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "programs"
YAML = {"Content-Type": "application/yaml"}


def _officers(api):
    api.load_federation((EXAMPLES.parent / "federation-chengdu.yaml").read_text(encoding="utf-8"))
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    return (api.user("officer-a", Role.PROGRAM_OFFICER, bureau), api.user("officer-b", Role.PROGRAM_OFFICER, bureau),
            api.user("member-1", Role.ORG_MEMBER, api.organisation("acme")))


def test_a_draft_is_published_by_a_second_officer_only(api) -> None:
    a, b, member = _officers(api)
    text = (EXAMPLES / "chengdu-2023.yaml").read_bytes()
    assert api.client.post("/api/v1/program-drafts", content=text, headers={**member, **YAML}).status_code == 403
    proposed = api.client.post("/api/v1/program-drafts", content=text, headers={**a, **YAML})
    assert proposed.status_code == 201, proposed.text
    draft = proposed.json()
    shown = api.client.get(f"/api/v1/program-drafts/{draft['id']}", headers=b).json()
    words = " ".join(s for c in shown["clauses"] for s in c["sentences"])
    assert "年度总额 ¥10,000,000" in words and "30%" in words and "nscc-chengdu" not in words  # names, not ids
    assert "org.user-type" not in words
    english = api.client.get(f"/api/v1/program-drafts/{draft['id']}?lang=en", headers=b).json()
    assert any("Annual budget" in s for c in english["clauses"] for s in c["sentences"])
    refused = api.client.post(f"/api/v1/program-drafts/{draft['id']}/publish", headers=a)
    assert refused.status_code == 403 and "four eyes" in refused.json()["detail"]
    published = api.client.post(f"/api/v1/program-drafts/{draft['id']}/publish", headers=b)
    assert published.status_code == 201, published.text
    program = api.client.get(f"/api/v1/programs/{published.json()['program_id']}", headers=a).json()
    assert program["code"] == "chengdu-2023" and program["text_hash"] == draft["sha256"]
    again = api.client.post(f"/api/v1/program-drafts/{draft['id']}/publish", headers=b)
    assert again.status_code == 409
    events = api.client.get("/api/v1/audit/events?limit=500", headers=a).json()
    kinds = [e["kind"] for e in events]
    assert "voucher.program_proposed" in kinds and "voucher.program_published" in kinds
    publication = next(e for e in events if e["kind"] == "voucher.program_published")["event"]["payload"]
    assert publication["proposed_by"] != publication["published_by"]


def test_a_new_version_shows_its_difference_and_bad_files_name_line_and_field(api) -> None:
    a, b, _ = _officers(api)
    first = (EXAMPLES / "chengdu-2023.yaml").read_text(encoding="utf-8")
    draft = api.client.post("/api/v1/program-drafts", content=first.encode(), headers={**a, **YAML}).json()
    api.client.post(f"/api/v1/program-drafts/{draft['id']}/publish", headers=b)
    second = first.replace("id: chengdu-2023", "id: chengdu-2023b").replace("percent: 30", "percent: 40", 1)
    again = api.client.post("/api/v1/program-drafts", content=first.encode(), headers={**a, **YAML})
    assert again.status_code == 409 and "already published" in again.json()["detail"]  # same id: immutable
    proposed = api.client.post("/api/v1/program-drafts", content=second.encode(), headers={**a, **YAML}).json()
    shown = api.client.get(f"/api/v1/program-drafts/{proposed['id']}", headers=b).json()
    assert shown["in_force"] == "chengdu-2023"
    assert "-id: chengdu-2023" in shown["diff"] and "+id: chengdu-2023b" in shown["diff"]
    for bad, where in ((first.replace("2023-12-31", "2023-02-30"), "line "), (b"\xff\xfe\x00garbage", "UTF-8"),
                       (first + "\nyear: 2024\n", "line ")):
        body = bad.encode() if isinstance(bad, str) else bad
        refused = api.client.post("/api/v1/program-drafts", content=body, headers={**a, **YAML})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json") and where in refused.json()["detail"]
    withdrawn = api.client.post(f"/api/v1/program-drafts/{proposed['id']}/withdraw", headers=a)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert api.client.post(f"/api/v1/program-drafts/{proposed['id']}/publish", headers=b).status_code == 409
    assert api.client.get("/api/v1/program-drafts/999999", headers=b).status_code == 404
