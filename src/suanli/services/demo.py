"""The demo: a Chengdu-like federation, organisations of every type, one or more accounts per role, a
Chengdu 2023 compute-voucher (算力券) program with grants, and a metered job history, so a newcomer
sees the whole story working within a minute: quotes with the voucher's subsidy, invoices showing
list price / subsidy / to pay, redemptions (核销) with audit receipts, a provider's reserve fund
(备用金) drawn, a settlement statement and a disbursement batch awaiting the finance officer.

Everything goes through the services a user or the worker would call; the history jobs really run
on the simulated centers (in virtual time, inside this call) and are dispatched, followed and metered
by the worker's own functions. Passwords are generated per demo database and kept (only in a demo
database) so `suanli demo accounts` can show them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli import EXAMPLES
from suanli.backends.base import Backend
from suanli.backends.simulated import SimulatedBackend, reset
from suanli.db.models.base import utcnow
from suanli.db.models.federation import CenterRow
from suanli.db.models.organisations import DemoMarkerRow, OrganisationRow, UserRow
from suanli.db.repositories.organisations import user_by_username
from suanli.domain.errors import Conflict
from suanli.domain.jobs import JobSpec
from suanli.domain.ledger.periods import period_of
from suanli.domain.organisations import OrganisationType as T
from suanli.domain.organisations import Principal, Role
from suanli.domain.resources import Ecosystem, ResourceRequest
from suanli.domain.vouchers import VoucherRuleViolation
from suanli.services import accounts, ai_policies_demo, dispatch, federation, jobs, settlement, vouchers
from suanli.services.documents.model import Column, Document, Kind
from suanli.services.documents.pdf import FontUnavailable, to_pdf
from suanli.services.exchange.demo import load_exchange_demo
from suanli.services.organisations import create_organisation

FEDERATION_FILE = EXAMPLES / "federation-chengdu.yaml"
PROGRAM_FILE = EXAMPLES / "programs" / "chengdu-2023.yaml"
HOUR = 3600


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
    # Not a tech SME: the Chengdu 2023 program refuses it (rule org.tech-sme).
    DemoOrg("jinjiang-heavy", "成都锦江重工集团有限公司", T.ENTERPRISE, sectors=("manufacturing",),
            users=(("jinjiang-admin", Role.ORG_ADMIN),)),
]
# What an English page calls them (the key is their handle, not a name).
ENGLISH_NAMES = {
    "platform": "Chengdu Compute Platform Operations Center", "cdjxj": "Chengdu Bureau of Economy and Information Technology",
    "cdczj": "Chengdu Finance Bureau", "shuxin-audit": "Shuxin Certified Public Accountants",
    "nscc-chengdu": "National Supercomputing Center in Chengdu", "chengdu-aicc": "Chengdu Intelligent Computing Center",
    "yaan-hydro": "Ya'an Hydropower Green Data Center", "dazhou-dc": "Dazhou Data Center",
    "tianfu-cloud": "Tianfu Commercial GPU Cloud", "zhixing": "Chengdu Zhixing Transport Technology Co., Ltd.",
    "yilian": "Sichuan Yilian Medical Imaging Technology Co., Ltd.",
    "uestc": "University of Electronic Science and Technology of China",
    "casit": "Chengdu Institute of Computer Application, Chinese Academy of Sciences",
    "jingrong-makers": "Tianfu AI Makers", "rongsuan": "Rongsuan Technology Services Co., Ltd.",
    "jinjiang-heavy": "Chengdu Jinjiang Heavy Industry Group Co., Ltd.",
}

# Voucher applications: (applicant, project, sector, requested yuan, how far review gets).
APPLICATIONS = [
    ("zhixing-admin", "成都城市交通大模型", "transport", 200_000, "granted"),
    ("yilian-admin", "医学影像辅助诊断模型", "healthcare", 150_000, "granted"),
    ("uestc-admin", "多模态大模型教学平台", "education", 100_000, "granted"),
    ("maker-admin", "AI短视频创作工具", "media", 20_000, "granted"),
    ("casit-admin", "电网负荷预测大模型", "energy", 300_000, "expert-reviewed"),  # awaits the officer
    ("rongsuan-admin", "中小企业算力撮合服务", "finance", 50_000, "submitted"),  # awaits the reviewer
    ("yilian-admin", "病理切片分析模型微调", "healthcare", 80_000, "documents-requested"),  # 需补充材料
]
DOCUMENTS_ASKED = "立项批复未加盖单位公章，请上传盖章版本，并补充项目预算明细。"
REFUSED = ("jinjiang-admin", "重工装备视觉质检", "manufacturing", 500_000)
RESERVE_FUNDS = {"nscc-chengdu": 50_000, "chengdu-aicc": 2_000}  # yuan placed with designated providers

# Jobs that already ran (dispatched, run in virtual time and metered inside load_demo):
# (user, name, center, pool, devices, hours, exit code).
HISTORY = [
    ("zhixing-admin", "城市交通大模型预训练", "nscc-chengdu", "gpu-a100", 64, 48, 0),
    ("yilian-admin", "医学影像分割训练", "chengdu-aicc", "ascend-910b", 32, 24, 0),
    ("uestc-student", "多模态课程实验", "nscc-chengdu", "dcu-k100", 16, 12, 0),
    ("maker-admin", "短视频生成微调", "chengdu-aicc", "ascend-910b", 8, 6, 0),
    ("zhixing-dev", "交通流量推理压测", "tianfu-cloud", "h20", 8, 10, 0),  # not designated: no subsidy
    ("casit-admin", "电网负荷预测回测", "yaan-hydro", "ascend-910b", 16, 20, 0),  # no grant yet
    ("uestc-student", "缺少输入文件的作业", "nscc-chengdu", "gpu-a100", 4, 1, 3),  # failed, still metered
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


def load_demo(session: Session, data_dir: Path | None = None) -> list[dict[str, str]]:
    """Load everything once; a second call refuses instead of duplicating. With the data directory the
    applications also carry their project approval (立项批复) as an uploaded PDF, as a reviewer sees one."""
    if is_demo(session) or session.scalar(select(OrganisationRow).limit(1)) is not None:
        raise Conflict("this database has data already; the demo loads only into an empty database")
    providers: dict[str, int] = {}
    accounts_out = []
    for org in ORGS:
        row = create_organisation(session, name=org.key, name_zh=org.name_zh, name_en=ENGLISH_NAMES.get(org.key),
                                  type=org.type, city=org.city,
                                  sectors=org.sectors, sme=org.sme, incubator=org.incubator,
                                  affiliated_centers=org.affiliated, demo=True)
        if org.center:
            providers[org.center] = row.id
        for username, role in org.users:
            password = f"Suanli-{secrets.token_hex(4)}-7"
            accounts.create_user(session, username=username, password=password, role=role,
                                 organisation_id=row.id, display_name=username)
            session.add(DemoMarkerRow(username=username, password=password))
            accounts_out.append({"username": username, "password": password, "role": role.value,
                                 "organisation": org.name_zh})
    federation.load_federation(session, text=FEDERATION_FILE.read_text(encoding="utf-8"), provider_ids=providers)
    _voucher_program(session, providers, data_dir)
    _run_history(session)
    _documents(session)
    _submit_live_jobs(session)
    accounts_out.extend(load_exchange_demo(session))  # the data exchange (数据交易所)
    ai_policies_demo.load(session)  # opportunity list, industry indicators (issue 17)
    session.flush()
    return accounts_out


# --- the voucher program --------------------------------------------------------------------------------


def demo_program_text() -> str:
    """The shipped Chengdu 2023 file with its 2023 calendar lifted (always-open window, a year's
    validity from the grant) so the demo works on any day; every other rule is the file's own."""
    text = PROGRAM_FILE.read_text(encoding="utf-8")
    return text.replace("windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace(
        "validity: {expires_on: 2023-12-31}", "validity: {valid_days: 365}")


def _voucher_program(session: Session, providers: dict[str, int], data_dir: Path | None) -> int:
    """The officer loads and opens the program, the bureau pays the budget in, the designated
    providers get their reserve funds, organisations apply, the reviewer scores, the officer grants."""
    officer, reviewer = _principal(session, "officer"), _principal(session, "reviewer")
    program = vouchers.load_program(session, text=demo_program_text(), actor=officer)
    vouchers.set_window(session, program_id=program.id, open=True, actor=officer)
    vouchers.fund_program(session, program_id=program.id, amount_fen=int(program.budget_fen), actor=officer,
                          idempotency_key=f"demo:program:{program.id}:funded")
    for center, yuan in RESERVE_FUNDS.items():
        settlement.prefund_reserve(session, program_id=program.id, provider_organisation_id=providers[center],
                                   amount_fen=yuan * 100, idempotency_key=f"demo:reserve:{program.id}:{center}")
    for username, project, sector, yuan, reached in APPLICATIONS:
        command = vouchers.ApplyCommand(program.id, project, yuan * 100, sector=sector,
                                        evidence={"project_approval": {"file": f"{username}-立项批复.pdf"}})
        application = vouchers.apply(session, command=command, actor=_principal(session, username))
        if data_dir is not None:
            _upload_approval(session, application.id, username, project, yuan, data_dir)
        if reached == "documents-requested":
            vouchers.request_documents(session, application_id=application.id, actor=reviewer,
                                       reason=DOCUMENTS_ASKED, kinds=["project_approval"])
        elif reached != "submitted":
            vouchers.review(session, application_id=application.id, actor=reviewer, approve=True, score=85,
                            comment="材料齐全，项目可行")
        if reached == "granted":
            vouchers.review(session, application_id=application.id, actor=officer, approve=True, comment="同意核定")
    try:
        with session.begin_nested():
            username, project, sector, yuan = REFUSED
            vouchers.apply(session, command=vouchers.ApplyCommand(program.id, project, yuan * 100, sector=sector),
                           actor=_principal(session, username))
    except VoucherRuleViolation as refusal:
        assert refusal.rule == "org.tech-sme", refusal.rule  # the demo's ineligible applicant, by design
    _expired_round(session, officer, reviewer)
    return int(program.id)


def _upload_approval(session: Session, application_id: int, username: str, project: str, yuan: int,
                     data_dir: Path) -> None:
    """The applicant uploads its project approval (a generated PDF marked as demo material)."""
    applicant = _principal(session, username)
    organisation = session.get(OrganisationRow, applicant.organisation_id)
    assert organisation is not None
    approval = Document(title="项目立项批复（演示材料）", number=f"DEMO-LX-{application_id:04d}",
                        header=[("申报单位", organisation.name_zh), ("项目名称", project), ("批复日期", str(date.today()))],
                        columns=[Column("事项"), Column("金额", Kind.YUAN)],
                        rows=[("项目总投资", yuan * 100 * 4), ("其中：算力支出", yuan * 100 * 2)],
                        totals=[("申请算力券", yuan * 100)], notes=["本文件由演示数据生成，仅用于展示审核流程。"])
    try:
        data = to_pdf(approval)
    except FontUnavailable:  # a machine without CJK fonts still gets the demo, without the file
        return
    vouchers.upload_document(session, upload=vouchers.Upload(
        kind="project_approval", filename=f"{project}-立项批复.pdf", content_type="application/pdf", data=data,
        application_id=application_id), actor=applicant, data_dir=data_dir)


EXPIRED_ROUND = ("zhixing-admin", "城市交通大模型（上半年批次）", "transport", 30_000)
EXPIRED_CODE = "chengdu-2023-h1"


def _expired_round(session: Session, officer: Principal, reviewer: Principal) -> None:
    """The shipped Chengdu 2023 file with its real calendar, as an earlier round (its own id): granted
    in March 2023, valid to 2023-12-31 and never used; the expiry step (the worker's, run here once)
    closes the wallet and returns its money to the program budget, so the demo shows it expired."""
    text = PROGRAM_FILE.read_text(encoding="utf-8").replace("id: chengdu-2023", f"id: {EXPIRED_CODE}").replace(
        "成都市算力券（2023年度）", "成都市算力券（2023年度·上半年批次）").replace(
        "Chengdu compute vouchers 2023", "Chengdu compute vouchers 2023 (first-half round)")
    program = vouchers.load_program(session, text=text, actor=officer)
    vouchers.set_window(session, program_id=program.id, open=True, actor=officer)
    day = date(2023, 3, 1)
    username, project, sector, yuan = EXPIRED_ROUND
    application = vouchers.apply(session, command=vouchers.ApplyCommand(program.id, project, yuan * 100, sector=sector),
                                 actor=_principal(session, username), today=day)
    vouchers.review(session, application_id=application.id, actor=reviewer, decision="approve", score=85, today=day)
    vouchers.review(session, application_id=application.id, actor=officer, decision="approve", today=day)
    vouchers.set_window(session, program_id=program.id, open=False, actor=officer)
    vouchers.expire_due_wallets(session, now=utcnow(), actor="demo")


# --- jobs: a metered history and live work for the worker -------------------------------------------------


class _HistoryCenters:
    """Private simulated worlds for the history (named `demo-history:<center>`, so the live
    simulated centers the worker uses are untouched), on a clock that starts three days ago and jumps
    to now once every history job was dispatched: they run and finish in virtual time."""

    def __init__(self) -> None:
        self.now = time.time() - 72 * HOUR
        self._adapters: dict[str, Backend] = {}

    def clock(self) -> float:
        return self.now

    def for_center(self, center: CenterRow) -> Backend:
        if center.name not in self._adapters:
            shapes = {p.name: p.devices_per_node for p in center.pools}
            self._adapters[center.name] = SimulatedBackend(
                f"demo-history:{center.name}", {"speedup": 1, "clock": self.clock, "devices_per_node": shapes},
                {p.name: (p.model, p.total_devices) for p in center.pools})
        return self._adapters[center.name]

    def close(self) -> None:
        for name in self._adapters:
            reset(f"demo-history:{name}")


def _run_history(session: Session) -> None:
    """Submit the history jobs, dispatch them (holds at admission), let them run, follow and meter
    them (usage priced, voucher share posted, reserve fund drawn, holds released) — the worker's path."""
    centers = _HistoryCenters()
    try:
        ids = []
        for username, name, center, pool, devices, hours, code in HISTORY:
            command = f"sleep {hours * HOUR}" + (f"; exit {code}" if code else "")
            spec = JobSpec(name=name, command=command, resources=ResourceRequest(devices=devices),
                           time_limit_s=(hours + 12) * HOUR, center=center, pool=pool)
            ids.append(jobs.submit_job(session, principal=_principal(session, username), spec=spec).id)
        for job_id in ids:
            dispatch.dispatch_job(session, job_id=job_id, backends=centers)  # type: ignore[arg-type]
        centers.now = time.time()
        for job_id in ids:
            dispatch.follow_job(session, job_id=job_id, backends=centers)  # type: ignore[arg-type]
    finally:
        centers.close()


def _documents(session: Session) -> None:
    """This month's invoices for every organisation that used compute, the providers' statements and
    a disbursement batch prepared by the operator, awaiting the finance officer's approval."""
    month = period_of(utcnow())
    used = sorted({username for username, *_ in HISTORY})
    for organisation_id in sorted({_principal(session, u).organisation_id for u in used}):
        settlement.issue_invoice(session, organisation_id=organisation_id, month=month)
    settlement.create_batch(session, month=month, created_by="operator")


def _submit_live_jobs(session: Session) -> None:
    for username, name, command in LOCAL_JOBS:
        spec = JobSpec(name=name, command=command, resources=ResourceRequest(devices=1), time_limit_s=600,
                       center="local", pool="cpu")
        jobs.submit_job(session, principal=_principal(session, username), spec=spec)
    for username, name, ecosystems, devices, memory, command in GPU_JOBS:
        request = ResourceRequest(devices=devices, ecosystems=ecosystems, min_device_memory_gb=memory)
        # The demo's GPU centers are simulated: these jobs allow them (a real command would not run there).
        spec = JobSpec(name=name, command=command, resources=request, time_limit_s=86_400,
                       preferences={"allow_simulated": True})
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
