"""Requests for more documents (需补充材料), through the API: a reviewer at the current stage asks the
applicant for more evidence with a reason; the application waits (no stage can be decided, a second
request is refused); only the applicant's administrator answers, and only once the document types
asked for are uploaded after the request; then the review goes on where it left off. Who may ask is
who may act at the stage (role, not the applicant's own organisation); another tenant gets a 404.
Each step is in the audit log and tells the people concerned (notifier)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from suanli.db.models.audit import AuditEvent
from suanli.db.models.notifications import NotificationRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role
from suanli.services.audit import catch_up
from suanli.services.notifications.derive import derive

PROBLEM = "application/problem+json"
PROGRAM = """\
id: docs-requests
title: {zh: 测试, en: test}
issuer: {zh: 局, en: bureau}
year: 2026
budget_fen: 100_000_000
side: demand
settlement: direct_to_claimant
demand:
  ratios: {compute: 30}
validity: {valid_days: 365}
review_stages:
  - name: expert-review
    role: program_officer
    actor: {zh: 专家评审, en: experts}
  - name: finance-payment
    role: finance_officer
    actor: {zh: 市财政局, en: finance bureau}
"""


def _setup(api):  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    applicant = api.organisation("rongcheng-ai")
    stranger = api.organisation("stranger")
    people = {"officer": api.user("officer", Role.PROGRAM_OFFICER, bureau),
              "officer2": api.user("officer2", Role.PROGRAM_OFFICER, bureau),
              "finance": api.user("finance", Role.FINANCE_OFFICER, bureau),
              "admin": api.user("rc-admin", Role.ORG_ADMIN, applicant),
              "member": api.user("rc-member", Role.ORG_MEMBER, applicant),
              "stranger": api.user("stranger", Role.ORG_ADMIN, stranger)}
    c = api.client
    program = c.post("/api/v1/programs", content=PROGRAM, headers=people["officer"]).json()["id"]
    assert c.post(f"/api/v1/programs/{program}/window", json={"open": True}, headers=people["officer"]).status_code == 200
    app = c.post("/api/v1/applications", json={"program_id": program, "project": "医疗影像模型训练",
                                               "requested_fen": 3_000_000}, headers=people["admin"])
    assert app.status_code == 201, app.text
    return people, app.json()["id"]


def _upload(c, app_id: int, who, kind: str):  # type: ignore[no-untyped-def]
    return c.post(f"/api/v1/applications/{app_id}/documents", data={"kind": kind},
                  files={"file": ("立项批复.pdf", b"%PDF-1.4 approval", "application/pdf")}, headers=who)


def _status(c, app_id: int, who) -> str:  # type: ignore[no-untyped-def]
    return str(c.get(f"/api/v1/applications/{app_id}", headers=who).json()["status"])


def test_a_request_parks_the_application_until_the_applicant_uploads_and_answers(api) -> None:  # type: ignore[no-untyped-def]
    people, app_id = _setup(api)
    c, officer, admin = api.client, people["officer"], people["admin"]
    url = f"/api/v1/applications/{app_id}/document-requests"
    asked = c.post(url, json={"reason": "请补充项目立项批复文件", "kinds": ["project_approval", "project_approval"]},
                   headers=officer)
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["stage"] == "expert-review" and request["kinds"] == ["project_approval"]
    assert request["application_status"] == "needs_documents" and _status(c, app_id, admin) == "needs_documents"

    # While it waits nobody decides it, and nobody asks twice.
    decided = c.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": "approve"}, headers=people["officer2"])
    assert decided.status_code == 409 and decided.json()["rule"] == "review.awaiting-documents"
    again = c.post(url, json={"reason": "again"}, headers=people["officer2"])
    assert again.status_code == 409 and again.json()["rule"] == "review.awaiting-documents"

    answer = f"{url}/{request['id']}/answer"
    early = c.post(answer, json={"answer": "已上传"}, headers=admin)
    assert early.status_code == 422 and early.json()["rule"] == "documents.supplied"
    assert "project_approval" in early.json()["detail"]
    assert c.post(answer, json={}, headers=people["member"]).status_code == 403  # a member does not answer
    assert _upload(c, app_id, admin, "project_approval").status_code == 201  # uploads stay open while it waits
    answered = c.post(answer, json={"answer": "已上传立项批复"}, headers=admin)
    assert answered.status_code == 200, answered.text
    assert answered.json()["application_status"] == "submitted" and answered.json()["answer"] == "已上传立项批复"
    assert _status(c, app_id, admin) == "submitted"
    twice = c.post(answer, json={}, headers=admin)
    assert twice.status_code == 409 and twice.json()["rule"] == "documents.answered"

    listed = c.get(url, headers=admin)
    assert listed.status_code == 200 and [r["answered_at"] is not None for r in listed.json()] == [True]
    # The review goes on where it left off, to the grant.
    assert c.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": "approve"}, headers=officer).status_code == 201
    granted = c.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": "approve"}, headers=people["finance"])
    assert granted.status_code == 201 and granted.json()["application_status"] == "granted"

    with unit_of_work(api.sessions) as s:
        catch_up(s)
        kinds = [e.kind for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert kinds.index("voucher.documents_requested") < kinds.index("voucher.documents_supplied")


def test_a_request_at_a_later_stage_returns_the_application_to_that_stage(api) -> None:  # type: ignore[no-untyped-def]
    people, app_id = _setup(api)
    c = api.client
    assert c.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": "approve"},
                  headers=people["officer"]).status_code == 201
    asked = c.post(f"/api/v1/applications/{app_id}/document-requests", json={"reason": "请补充发票"},
                   headers=people["finance"])
    assert asked.status_code == 201 and asked.json()["stage"] == "finance-payment" and asked.json()["kinds"] == []
    # No type named: the applicant's word is enough, the reviewer reads the files at the stage.
    done = c.post(f"/api/v1/applications/{app_id}/document-requests/{asked.json()['id']}/answer", json={},
                  headers=people["admin"])
    assert done.status_code == 200 and done.json()["application_status"] == "in_review"


def test_who_may_ask_is_who_may_act_at_the_stage_and_other_tenants_see_nothing(api) -> None:  # type: ignore[no-untyped-def]
    people, app_id = _setup(api)
    c = api.client
    url = f"/api/v1/applications/{app_id}/document-requests"
    wrong_stage = c.post(url, json={"reason": "x"}, headers=people["finance"])  # the stage is the experts'
    assert wrong_stage.status_code == 403 and wrong_stage.json()["rule"] == "review.role"
    assert c.post(url, json={"reason": "x"}, headers=people["admin"]).status_code == 403  # not a reviewer role
    for who in ("stranger",):
        hidden = c.get(url, headers=people[who])
        assert hidden.status_code == 404 and hidden.headers["content-type"].startswith(PROBLEM)
    assert c.post("/api/v1/applications/999999/document-requests", json={"reason": "x"},
                  headers=people["officer"]).status_code == 404
    for body, field in (({"reason": ""}, "reason"), ({"reason": "   "}, "reason"), ({"reason": "x" * 2001}, "reason"),
                        ({"reason": "x", "kinds": ["passport"]}, "kinds")):
        bad = c.post(url, json=body, headers=people["officer"])
        assert bad.status_code == 422 and bad.json()["field"] == field, (body, bad.text)
    assert c.post(url, json={"reason": "x", "granted": True}, headers=people["officer"]).status_code == 422
    asked = c.post(url, json={"reason": "请补充"}, headers=people["officer"]).json()
    stranger = c.post(f"{url}/{asked['id']}/answer", json={}, headers=people["stranger"])
    assert stranger.status_code == 404
    assert c.post(f"{url}/{asked['id'] + 100}/answer", json={}, headers=people["admin"]).status_code == 404


def test_the_applicant_is_told_of_the_request_and_the_officers_of_the_answer(api) -> None:  # type: ignore[no-untyped-def]
    people, app_id = _setup(api)
    c = api.client
    asked = c.post(f"/api/v1/applications/{app_id}/document-requests",
                   json={"reason": "请补充项目立项批复文件", "kinds": ["project_approval"]}, headers=people["officer"]).json()
    with unit_of_work(api.sessions) as s:
        derive(s, now=datetime.now(UTC))
    assert _upload(c, app_id, people["admin"], "project_approval").status_code == 201
    assert c.post(f"/api/v1/applications/{app_id}/document-requests/{asked['id']}/answer", json={},
                  headers=people["admin"]).status_code == 200
    with unit_of_work(api.sessions) as s:
        derive(s, now=datetime.now(UTC))
        notices = {(n.user_id, n.kind, n.key): n for n in s.scalars(select(NotificationRow))}
    users = {name: who for name, who in people.items()}
    told = {(uid, kind) for uid, kind, _key in notices}
    assert any(kind == "documents_requested" for _uid, kind in told)
    requested = [n for (uid, kind, _k), n in notices.items() if kind == "documents_requested"]
    assert requested and all("请补充项目立项批复文件" in n.body_zh for n in requested)
    supplied = [n for (_uid, kind, key), n in notices.items() if key.endswith(f":supplied:{asked['id']}")]
    assert supplied and all(n.kind == "application_to_review" for n in supplied)
    assert users  # the people above are the world of the test
