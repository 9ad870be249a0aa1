"""Related parties and one basis per benefit across awards (issue 17), on SQLite and PostgreSQL: the
first-version software item refuses a developer and first user under common control (the same actual
controller, or parent and subsidiary, from the bureau's profile facts), naming the rule; unrelated
parties are paid separately, each owed on its own payable; a product id re-spelled is the same basis."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.awards import AwardApplicationRow, AwardPayoutRow
from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.awards import AwardRuleViolation, DoubleBenefit
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import awards, profile
from suanli.services.accounts import principal_of
from suanli.services.organisations import create_organisation

FILES = Path(__file__).resolve().parents[3] / "examples" / "awards"
ITEM = "ai-2024-first-version-software"
EVIDENCE = frozenset({"software-copyright", "test-report", "first-contract"})


def _world(sessions: sessionmaker[Session]) -> tuple[Principal, dict[str, int]]:
    with unit_of_work(sessions) as s:
        bureau = create_organisation(s, name="bureau", name_zh="市经信局", type=OrganisationType.GOVERNMENT, city="成都")
        user = UserRow(username="officer", display_name="officer", password_hash="!", role=Role.PROGRAM_OFFICER.value,
                       organisation_id=bureau.id)
        s.add(user)
        s.flush()
        officer = principal_of(user)
        awards.load_item(s, actor=officer, text=(FILES / "first-version-software.yaml").read_text("utf-8"))
        ids = {n: create_organisation(s, name=n, name_zh=n, type=OrganisationType.ENTERPRISE, city="成都").id
               for n in ("dev-soft", "buyer-one", "buyer-sister", "buyer-child", "dev-two")}
        for dev in ("dev-soft", "dev-two"):
            profile.record_fact(s, actor=officer, organisation_id=ids[dev], key="certification:first_version_software",
                                value="true", source="市经信局首版次软件产品认定公告", as_of=date(2024, 3, 1))
        facts = [("dev-soft", "actual_controller", "王 某"), ("buyer-sister", "actual_controller", "王某"),
                 ("buyer-one", "actual_controller", "李某"), ("buyer-child", "parent_organisation", "dev-soft")]
        for org, key, value in facts:
            profile.record_fact(s, actor=officer, organisation_id=ids[org], key=key, value=value,
                                source="国家企业信用信息公示系统", as_of=date(2024, 5, 1))
    return officer, ids


def _claim(s: Session, officer: Principal, ids: dict[str, int], developer: str, buyer: str, basis: str) -> AwardApplicationRow:
    return awards.apply(s, actor=officer, organisation_id=ids[developer], item_code=ITEM, year=2024, basis=basis,
                        evidence=EVIDENCE, bases={"developer": 3_000_000_000, "first_user": 50_000_000},
                        parties={"developer": developer, "first_user": buyer})


@pytest.mark.parametrize(("buyer", "why"), [("buyer-sister", "实际控制人同为"), ("buyer-child", "母公司")])
def test_parties_under_common_control_are_refused_naming_the_rule(sessions, buyer: str, why: str) -> None:
    officer, ids = _world(sessions)
    with pytest.raises(AwardRuleViolation) as refused, unit_of_work(sessions) as s:
        _claim(s, officer, ids, "dev-soft", buyer, "product:SOFT-1")
    assert refused.value.rule == f"{ITEM}.related-party" and why in refused.value.detail
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AwardApplicationRow)) == 0


def test_unrelated_parties_are_each_paid_and_a_product_re_spelled_is_one_basis(sessions) -> None:
    officer, ids = _world(sessions)
    with unit_of_work(sessions) as s:
        row = _claim(s, officer, ids, "dev-soft", "buyer-one", "product:SOFT-1")
        assert row.basis == "product:soft1"
        assert (row.parties["developer"], row.parties["first_user"]) == (["dev-soft", 250_000_000], ["buyer-one", 5_000_000])
        assert f"{ITEM}.related-party" in [r[0] for r in row.rules]
        payouts = s.scalars(select(AwardPayoutRow).where(AwardPayoutRow.application_id == row.id)).all()
        assert {(p.party, p.organisation_id, p.amount_fen, p.status) for p in payouts} == {
            ("developer", ids["dev-soft"], 250_000_000, "owed"), ("first_user", ids["buyer-one"], 5_000_000, "owed")}
    with pytest.raises(DoubleBenefit) as again, unit_of_work(sessions) as s:
        _claim(s, officer, ids, "dev-two", "buyer-one", "product: soft_1")  # another developer, the same product
    assert again.value.rule == "cross-program.double-benefit"
