"""A small world for the opportunity list: the bureau with two officers, two enterprises on the platform
(one the issuer of items), and a federation the broker can quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.uow import unit_of_work
from suanli.domain.opportunities import ComputeNeed, ItemKind, OpportunityDraft, Track
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli_testing import SMALL_FEDERATION


@dataclass
class World:
    officer: Principal
    officer2: Principal
    issuer: Principal  # admin of 成都智行交通科技有限公司, which issues items
    other: Principal  # admin of 四川医联影像科技有限公司
    stranger: Principal  # admin of a third organisation


def _user(session: Session, username: str, role: Role, organisation_id: int) -> Principal:
    """A user row without a password (hashing one takes a second; these tests never sign in)."""
    from suanli.db.models.organisations import UserRow
    from suanli.services.accounts import principal_of

    row = UserRow(username=username, display_name=username, password_hash="!", role=role.value,
                  organisation_id=organisation_id)
    session.add(row)
    session.flush()
    return principal_of(row)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    from suanli.services.federation import load_federation
    from suanli.services.organisations import create_organisation

    with unit_of_work(sessions) as s:
        bureau = create_organisation(s, name="cdjxj", name_zh="成都市经济和信息化局", type=OrganisationType.GOVERNMENT,
                                     city="成都").id
        zhixing = create_organisation(s, name="zhixing", name_zh="成都智行交通科技有限公司",
                                      type=OrganisationType.ENTERPRISE, city="成都").id
        yilian = create_organisation(s, name="yilian", name_zh="四川医联影像科技有限公司",
                                     type=OrganisationType.ENTERPRISE, city="成都").id
        third = create_organisation(s, name="third", name_zh="第三方公司", type=OrganisationType.ENTERPRISE,
                                    city="绵阳").id
        load_federation(s, text=SMALL_FEDERATION)
        return World(_user(s, "officer", Role.PROGRAM_OFFICER, bureau), _user(s, "officer2", Role.PROGRAM_OFFICER, bureau),
                     _user(s, "zhixing-admin", Role.ORG_ADMIN, zhixing), _user(s, "yilian-admin", Role.ORG_ADMIN, yilian),
                     _user(s, "third-admin", Role.ORG_ADMIN, third))


def drafts() -> list[OpportunityDraft]:
    """Three items using every field, including ones a spreadsheet would run as formulas."""
    return [
        OpportunityDraft(code="2023-S-001", kind=ItemKind.SUPPLY, track=Track.MODELS, title="交通大模型路口信号优化",
                         issuer="成都智行交通科技有限公司", region="高新区", scenario="城市交通治理",
                         description="基于大模型的城市路口信号配时优化，已在多个路口试点。", indicators="通行效率提升15%以上",
                         budget_fen=None, deadline=date(2026, 12, 31), contact_name="张工",
                         contact_phone="+86 28 8888 0001", contact_email="zhang@zhixing.example"),
        OpportunityDraft(code="2023-D-001", kind=ItemKind.DEMAND, track=Track.COMPUTE, title="医学影像模型训练算力需求",
                         issuer="四川医联影像科技有限公司", region="天府新区", scenario="医疗健康",
                         description="需要训练肺结节检测模型", indicators="=SUM(A1:A2) 不应被当作公式",
                         budget_fen=123_456_789_00, deadline=date(2026, 6, 30), contact_name="李医生",
                         contact_phone="-", contact_email="@li", compute=ComputeNeed(devices=8, hours=12.5,
                                                                                      models=("A800",))),
        OpportunityDraft(code="2023-S-002", kind=ItemKind.SUPPLY, track=Track.DATASETS, title="农业病虫害图像语料",
                         issuer="四川农科数据有限公司", region="温江区", scenario="智慧农业",
                         description="十万张标注图片，覆盖水稻和小麦"),
    ]
