"""Award notices in the inbox (SQLite and PostgreSQL): a profile fact recorded by the bureau tells the
organisation's administrators the items it now likely qualifies for (政策匹配 / 免申即享), once per
item and year; an application submitted tells the program officers, its refusal (with the reason) and a decision
tell the organisation; nobody else is told."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.notifications import NotificationRow
from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import awards, profile
from suanli.services.accounts import principal_of
from suanli.services.notifications import derive

FILES = Path(__file__).resolve().parents[3] / "examples" / "awards"
WAN = 1_000_000
NOW = datetime(2025, 6, 1, 9, tzinfo=UTC)


def _people(s: Session) -> dict[str, Principal]:
    from suanli.services.organisations import create_organisation

    orgs = {name: create_organisation(s, name=name, name_zh=name, type=kind, city="成都").id
            for name, kind in (("bureau", OrganisationType.GOVERNMENT), ("zhixing", OrganisationType.ENTERPRISE),
                               ("other", OrganisationType.ENTERPRISE))}
    out = {}
    for username, role, org in (("officer", Role.PROGRAM_OFFICER, "bureau"), ("zx-admin", Role.ORG_ADMIN, "zhixing"),
                                ("zx-member", Role.ORG_MEMBER, "zhixing"), ("other-admin", Role.ORG_ADMIN, "other")):
        user = UserRow(username=username, display_name=username, password_hash="!", role=role.value,
                       organisation_id=orgs[org])
        s.add(user)
        s.flush()
        out[username] = principal_of(user)
    return out


def _notices(sessions: sessionmaker[Session]) -> dict[str, list[tuple[str, str]]]:
    with unit_of_work(sessions) as s:
        rows = s.execute(select(UserRow.username, NotificationRow.kind, NotificationRow.subject_zh)
                         .join(UserRow, UserRow.id == NotificationRow.user_id).order_by(NotificationRow.id)).all()
    out: dict[str, list[tuple[str, str]]] = {}
    for username, kind, subject in rows:
        out.setdefault(username, []).append((kind, subject))
    return out


def test_profile_facts_tell_the_organisation_its_policy_matches_once_and_applications_are_told(
        sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        people = _people(s)
        officer, company = people["officer"], people["zx-admin"].organisation_id
        for name in ("revenue-thresholds", "large-model-registration"):
            awards.load_item(s, actor=officer, text=(FILES / f"{name}.yaml").read_text("utf-8"))
        for key, value in (("revenue_fen:2024", str(35_000 * WAN)), ("ai_revenue_share_pct:2024", "72")):
            profile.record_fact(s, actor=officer, organisation_id=company, key=key, value=value, source="2024年度审计报告",
                                as_of=date(2025, 4, 30))
    with unit_of_work(sessions) as s:
        derive.derive(s, now=NOW)
    told = _notices(sessions)
    # two facts, one notice per item and year, to the administrator who acts on it
    assert [kind for kind, _ in told["zx-admin"]] == ["policy_match"]
    assert "人工智能企业营收跨越奖励" in told["zx-admin"][0][1] and "¥100,000.00" in told["zx-admin"][0][1]
    assert "zx-member" not in told
    assert "other-admin" not in told and "officer" not in told

    with unit_of_work(sessions) as s:  # a registration recorded: only the new match is told
        profile.record_fact(s, actor=officer, organisation_id=company, key="registration:large_model",
                            value="2024-04-10", source="网信办备案公告", as_of=date(2024, 4, 10))
        derive.derive(s, now=NOW)
    assert [k for k, _ in _notices(sessions)["zx-admin"]] == ["policy_match", "policy_match"]

    with unit_of_work(sessions) as s:
        pending = awards.submit(s, actor=people["zx-admin"], organisation_id=company,
                                item_code="ai-2024-large-model-registration", year=2024, basis="model:智行大模型",
                                evidence=frozenset({"registration-notice"}))
        derive.derive(s, now=NOW)
    assert _notices(sessions)["officer"] == [("award_to_review",
                                              f"新奖励申报待审核：大模型备案奖励（#{pending.id}）")]
    with unit_of_work(sessions) as s:
        awards.review(s, actor=officer, application_id=pending.id, approve=False, note="备案公告与模型名称不符")
        again = awards.submit(s, actor=people["zx-admin"], organisation_id=company,
                              item_code="ai-2024-large-model-registration", year=2024, basis="model:智行大模型",
                              evidence=frozenset({"registration-notice"}))
        awards.review(s, actor=officer, application_id=again.id, approve=True)
        derive.derive(s, now=NOW)
        derive.derive(s, now=NOW)  # again: nothing twice
    told = _notices(sessions)
    assert told["zx-admin"][2:] == [("award_decided", f"奖励申报未获支持：大模型备案奖励（#{pending.id}）"),
                                    ("award_decided", "奖励已核定：大模型备案奖励（¥1,000,000.00）")]
    assert told["zx-member"] == told["zx-admin"][2:] and "other-admin" not in told  # decisions reach every member
    with unit_of_work(sessions) as s:
        body = s.scalar(select(NotificationRow.body_zh).where(NotificationRow.key == f"award-application:{pending.id}:refused"))
    assert body is not None and "备案公告与模型名称不符" in body
