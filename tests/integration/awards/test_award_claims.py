"""Award claims over the database: ranked places under concurrent claims on PostgreSQL never exceed the
item's places (the database enforces it), a threshold claimed twice is a 409 naming the rule, one basis is
never paid by two awards nor by an award after a voucher, and the policy calculator reads the profile."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.awards import AwardApplicationRow
from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.awards import AwardRuleViolation, DoubleBenefit
from suanli.domain.awards.errors import AwardClaimedAlready
from suanli.domain.errors import Conflict
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import awards, profile
from suanli.services.accounts import principal_of
from suanli.services.organisations import create_organisation
from suanli_testing import empty_postgres

FILES = Path(__file__).resolve().parents[3] / "examples" / "awards"
WAN = 1_000_000


def _setup(sessions: sessionmaker[Session], orgs: int) -> tuple[Principal, list[int]]:
    with unit_of_work(sessions) as s:
        bureau = create_organisation(s, name="bureau", name_zh="市经信局", type=OrganisationType.GOVERNMENT, city="成都")
        user = UserRow(username="officer", display_name="officer", password_hash="!", role=Role.PROGRAM_OFFICER.value,
                       organisation_id=bureau.id)
        s.add(user)
        s.flush()
        officer = principal_of(user)
        for name in ("large-model-registration", "revenue-thresholds", "little-giant", "standards"):
            awards.load_item(s, actor=officer, text=(FILES / f"{name}.yaml").read_text(encoding="utf-8"))
        ids = []
        for n in range(orgs):
            org = create_organisation(s, name=f"ai-{n}", name_zh=f"智能企业{n}", type=OrganisationType.ENTERPRISE, city="成都")
            profile.record_fact(s, actor=officer, organisation_id=org.id, key="registration:large_model",
                                value=(date(2024, 3, 1) + timedelta(days=n)).isoformat(), source="国家网信办备案公告",
                                as_of=date(2024, 4, 1))
            ids.append(org.id)
    return officer, ids


@pytest.mark.postgres
def test_concurrent_claims_never_win_more_places_than_the_item_has(postgres_database: str) -> None:
    from suanli.db.engine import make_engine
    from suanli.db.uow import session_factory

    engine = make_engine(postgres_database)
    sessions = session_factory(engine)
    try:
        officer, ids = _setup(sessions, 16)
        outcomes: list[str] = []
        barrier = threading.Barrier(len(ids))

        def claim(org_id: int) -> None:
            barrier.wait()
            for _attempt in range(20):  # a lost race on a place is a 409: the claimant retries
                try:
                    with unit_of_work(sessions) as s:
                        awards.apply(s, actor=officer, organisation_id=org_id, item_code="ai-2024-large-model-registration",
                                     year=2024, basis=f"model:{org_id}", evidence=frozenset({"registration-notice"}))
                    outcomes.append("won")
                    return
                except AwardRuleViolation as exc:
                    assert exc.rule == "ai-2024-large-model-registration.places"
                    outcomes.append("full")
                    return
                except Conflict:
                    continue
            outcomes.append("gave-up")

        threads = [threading.Thread(target=claim, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with unit_of_work(sessions) as s:
            places = sorted(s.scalars(select(AwardApplicationRow.place)).all())
        assert places == list(range(1, 11)), places
        assert outcomes.count("won") == 10 and outcomes.count("full") == 6
    finally:
        empty_postgres(engine)
        engine.dispose()


def test_the_database_refuses_a_place_beyond_the_items_places(sessions: sessionmaker[Session]) -> None:
    officer, ids = _setup(sessions, 1)
    with unit_of_work(sessions) as s:
        row = awards.apply(s, actor=officer, organisation_id=ids[0], item_code="ai-2024-large-model-registration",
                           year=2024, basis="model:x", evidence=frozenset({"registration-notice"}))
        assert (row.place, row.amount_fen) == (1, 100 * WAN)
    with pytest.raises(Conflict), unit_of_work(sessions) as s:
        s.get(AwardApplicationRow, row.id).place = 11  # type: ignore[union-attr]


def test_a_threshold_claimed_twice_is_a_409_naming_the_rule(sessions: sessionmaker[Session]) -> None:
    officer, ids = _setup(sessions, 1)
    with unit_of_work(sessions) as s:
        for key, value in (("revenue_fen:2024", str(35_000 * WAN)), ("ai_revenue_share_pct:2024", "70")):
            profile.record_fact(s, actor=officer, organisation_id=ids[0], key=key, value=value, source="2024年审计报告",
                                as_of=date(2025, 4, 30))
        row = awards.apply(s, actor=officer, organisation_id=ids[0], item_code="ai-2024-revenue-thresholds", year=2024,
                           basis="revenue:2024", evidence=frozenset({"audited-revenue"}))
        assert row.amount_fen == 10 * WAN
        likely = {f["item"] for f in awards.calculator(s, principal=officer, organisation_id=ids[0], year=2024)}
        assert likely == {"ai-2024-large-model-registration"}  # the 300m threshold is paid: no longer likely
    with pytest.raises(AwardClaimedAlready) as again, unit_of_work(sessions) as s:
        awards.apply(s, actor=officer, organisation_id=ids[0], item_code="ai-2024-revenue-thresholds", year=2024,
                     basis="revenue:2024-bis", evidence=frozenset({"audited-revenue"}))
    assert again.value.status == 409 and again.value.rule == "ai-2024-revenue-thresholds.tier.300m.once"
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(AwardApplicationRow)) == 1


def test_one_basis_is_paid_once_across_awards(sessions: sessionmaker[Session]) -> None:
    officer, ids = _setup(sessions, 1)
    with unit_of_work(sessions) as s:
        profile.record_fact(s, actor=officer, organisation_id=ids[0], key="certification:little_giant", value="true",
                            source="工信部第五批专精特新小巨人名单", as_of=date(2024, 7, 1))
        found = awards.calculator(s, principal=officer, organisation_id=ids[0], year=2024)
        assert {f["item"]: f["amount_fen"] for f in found}["ai-2024-little-giant"] == 30 * WAN
        awards.apply(s, actor=officer, organisation_id=ids[0], item_code="ai-2024-standards", year=2024,
                     basis="standard:GB/T-1", level="national", evidence=frozenset({"standard-publication"}))
    with pytest.raises(DoubleBenefit) as twice, unit_of_work(sessions) as s:
        awards.apply(s, actor=officer, organisation_id=ids[0], item_code="ai-2024-little-giant", year=2024,
                     basis="standard:GB/T-1", evidence=frozenset({"naming-document"}))
    assert twice.value.rule == "cross-program.double-benefit"


def test_over_http_a_threshold_claimed_twice_is_a_409_naming_the_rule(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    firm = api.organisation("firm")
    firm_admin = api.user("firm-admin", Role.ORG_ADMIN, firm)
    text = (FILES / "revenue-thresholds.yaml").read_text(encoding="utf-8")
    assert api.client.post("/api/v1/award-items", json={"text": text}, headers=officer).status_code == 201
    for key, value in (("revenue_fen:2024", str(52_000 * WAN)), ("ai_revenue_share_pct:2024", "61")):
        fact = {"key": key, "value": value, "source": "2024年审计报告", "as_of": "2025-04-30"}
        assert api.client.put(f"/api/v1/organisations/{firm}/profile-facts", json=fact, headers=officer).status_code == 200
    matches = api.client.get(f"/api/v1/organisations/{firm}/policy-matches?year=2024", headers=firm_admin).json()
    assert [(m["item"], m["amount_fen"], m["no_application"]) for m in matches] == [
        ("ai-2024-revenue-thresholds", 30 * WAN, True)]
    assert api.client.get(f"/api/v1/organisations/{bureau}/policy-matches", headers=firm_admin).status_code == 404
    claim = {"organisation_id": firm, "item": "ai-2024-revenue-thresholds", "year": 2024, "basis": "revenue:2024",
             "evidence": ["audited-revenue"]}
    first = api.client.post("/api/v1/award-claims", json=claim, headers=officer)
    assert first.status_code == 201 and first.json()["amount_fen"] == 30 * WAN
    again = api.client.post("/api/v1/award-claims", json={**claim, "basis": "revenue:2024-again"}, headers=officer)
    assert again.status_code == 409 and again.json()["rule"] == "ai-2024-revenue-thresholds.tier.500m.once"
