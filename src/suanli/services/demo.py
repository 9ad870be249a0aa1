"""The demo: a Chengdu-like federation, organisations of every type, one or more accounts per role,
and some job history, so a newcomer sees the product working within a minute.

Passwords are generated per demo database and kept (only in a demo database) so
`suanli demo accounts` can show them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.organisations import DemoMarkerRow, OrganisationRow, UserRow
from suanli.db.repositories.organisations import user_by_username
from suanli.domain.errors import Conflict
from suanli.domain.jobs import JobSpec
from suanli.domain.organisations import OrganisationType as T
from suanli.domain.organisations import Principal, Role
from suanli.domain.resources import Ecosystem, ResourceRequest
from suanli.services import accounts, federation, jobs
from suanli.services.organisations import create_organisation

FEDERATION_FILE = Path(__file__).resolve().parents[3] / "examples" / "federation-chengdu.yaml"


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name_zh: str
    type: T
    city: str = "成都"
    sectors: tuple[str, ...] = ()
    sme: bool = False
    incubator: str | None = None
    affiliated: tuple[str, ...] = ()
    users: tuple[tuple[str, Role], ...] = ()
    center: str | None = None  # the center this provider operates


ORGS = [
    DemoOrg("platform", "成都算力调度平台运营中心", T.PLATFORM, users=(("operator", Role.PLATFORM_OPERATOR),)),
    DemoOrg("cdjxj", "成都市经济和信息化局", T.GOVERNMENT, users=(("officer", Role.PROGRAM_OFFICER), ("reviewer", Role.PROGRAM_OFFICER))),
    DemoOrg("cdczj", "成都市财政局", T.GOVERNMENT, users=(("finance", Role.FINANCE_OFFICER),)),
    DemoOrg("shuxin-audit", "蜀信会计师事务所", T.AUDITOR, users=(("auditor", Role.AUDITOR),)),
    DemoOrg("nscc-chengdu", "国家超级计算成都中心", T.PROVIDER, users=(("nscc", Role.PROVIDER_ADMIN),), center="nscc-chengdu"),
    DemoOrg("chengdu-aicc", "成都智算中心", T.PROVIDER, users=(("aicc", Role.PROVIDER_ADMIN),), center="chengdu-aicc"),
    DemoOrg("yaan-hydro", "雅安水电绿色数据中心", T.PROVIDER, "雅安", users=(("yaan", Role.PROVIDER_ADMIN),), center="yaan-hydro"),
    DemoOrg("dazhou-dc", "达州数据中心", T.PROVIDER, "达州", users=(("dazhou", Role.PROVIDER_ADMIN),), center="dazhou-dc"),
    DemoOrg("tianfu-cloud", "天府商业GPU云", T.PROVIDER, users=(("tianfu", Role.PROVIDER_ADMIN),), center="tianfu-cloud"),
    DemoOrg("zhixing", "成都智行交通科技有限公司", T.ENTERPRISE, sectors=("transport",), sme=True,
            users=(("zhixing-admin", Role.ORG_ADMIN), ("zhixing-dev", Role.ORG_MEMBER))),
    DemoOrg("yilian", "四川医联影像科技有限公司", T.ENTERPRISE, sectors=("healthcare",), sme=True,
            users=(("yilian-admin", Role.ORG_ADMIN),)),
    DemoOrg("uestc", "电子科技大学", T.UNIVERSITY, sectors=("education",),
            users=(("uestc-admin", Role.ORG_ADMIN), ("uestc-student", Role.ORG_MEMBER))),
    DemoOrg("casit", "中国科学院成都计算机应用研究所", T.RESEARCH_INSTITUTE, sectors=("energy",),
            users=(("casit-admin", Role.ORG_ADMIN),)),
    DemoOrg("jingrong-makers", "天府AI创客小队", T.MAKER, sectors=("media",), incubator="菁蓉汇孵化器",
            users=(("maker-admin", Role.ORG_ADMIN),)),
    DemoOrg("rongsuan", "蓉算科技服务有限公司", T.INTERMEDIARY, sectors=("finance",), affiliated=("tianfu-cloud",),
            users=(("rongsuan-admin", Role.ORG_ADMIN),)),
]

LOCAL_JOBS = [
    ("zhixing-dev", "交通流量预测-数据清洗", "echo '清洗 1,204,311 条卡口记录'; sleep 2; echo done"),
    ("uestc-student", "hello-suanli", "python3 -c \"print('你好，算力')\""),
    ("casit-admin", "energy-fit", "for i in 1 2 3; do echo epoch $i; sleep 1; done"),
    ("uestc-student", "failing-example", "echo 'missing input file' >&2; exit 3"),
]
GPU_JOBS = [
    ("zhixing-admin", "交通大模型微调", frozenset({Ecosystem.CUDA}), 16, 64, "sleep 7200"),
    ("yilian-admin", "医学影像分割训练", frozenset({Ecosystem.CUDA, Ecosystem.CANN}), 8, 32, "sleep 3600"),
    ("maker-admin", "短视频生成推理", frozenset(), 4, 16, "sleep 1800"),
    ("casit-admin", "电网负荷预测", frozenset({Ecosystem.CANN}), 32, 64, "sleep 14400"),
]


def is_demo(session: Session) -> bool:
    return session.scalar(select(DemoMarkerRow).limit(1)) is not None


def load_demo(session: Session) -> list[dict[str, str]]:
    """Load everything once; a second call refuses instead of duplicating."""
    if is_demo(session) or session.scalar(select(OrganisationRow).limit(1)) is not None:
        raise Conflict("this database has data already; the demo loads only into an empty database")
    users: dict[str, int] = {}
    providers: dict[str, int] = {}
    accounts_out = []
    for org in ORGS:
        row = create_organisation(session, name=org.key, name_zh=org.name_zh, type=org.type, city=org.city,
                                  sectors=org.sectors, sme=org.sme, incubator=org.incubator,
                                  affiliated_centers=org.affiliated, demo=True)
        if org.center:
            providers[org.center] = row.id
        for username, role in org.users:
            password = f"Suanli-{secrets.token_hex(4)}-7"
            user = accounts.create_user(session, username=username, password=password, role=role,
                                        organisation_id=row.id, display_name=username)
            users[username] = user.id
            session.add(DemoMarkerRow(username=username, password=password))
            accounts_out.append({"username": username, "password": password, "role": role.value,
                                 "organisation": org.name_zh})
    federation.load_federation(session, text=FEDERATION_FILE.read_text(encoding="utf-8"), provider_ids=providers)
    _submit_history(session, users)
    session.flush()
    return accounts_out


def _submit_history(session: Session, users: dict[str, int]) -> None:
    for username, name, command in LOCAL_JOBS:
        spec = JobSpec(name=name, command=command, resources=ResourceRequest(devices=1), time_limit_s=600,
                       center="local", pool="cpu")
        jobs.submit_job(session, principal=_principal(session, username), spec=spec)
    for username, name, ecosystems, devices, memory, command in GPU_JOBS:
        request = ResourceRequest(devices=devices, ecosystems=ecosystems, min_device_memory_gb=memory)
        spec = JobSpec(name=name, command=command, resources=request, time_limit_s=86_400)
        jobs.submit_job(session, principal=_principal(session, username), spec=spec)


def _principal(session: Session, username: str) -> Principal:
    user = user_by_username(session, username)
    assert user is not None
    return accounts.principal_of(user)


def demo_accounts(session: Session) -> list[dict[str, str]]:
    if not is_demo(session):
        raise Conflict("not a demo database: demo accounts exist only in a database loaded with `suanli demo load`")
    rows = session.execute(
        select(DemoMarkerRow, UserRow, OrganisationRow)
        .join(UserRow, UserRow.username == DemoMarkerRow.username)
        .join(OrganisationRow, OrganisationRow.id == UserRow.organisation_id)
        .order_by(UserRow.id)
    ).all()
    return [{"username": m.username, "password": m.password, "role": u.role, "organisation": o.name_zh}
            for m, u, o in rows]
