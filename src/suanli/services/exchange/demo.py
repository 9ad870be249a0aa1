"""The data exchange's part of the demo (数据交易所): a city data group and three demo firms as
suppliers, an assessor, buyers, a dozen products in every stage (draft, in review, under notice with
an objection, registered, rejected) and orders of each delivery mode - all through the services.

Called once by `services.demo.load_demo` after the federation is loaded; returns the accounts it
adds, so `suanli demo accounts` lists them with the others."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from suanli.config import load_settings
from suanli.db.models.base import utcnow
from suanli.db.models.organisations import DemoMarkerRow
from suanli.db.repositories.organisations import organisation_by_name, user_by_username
from suanli.domain.audit.signing import Signer
from suanli.domain.exchange import DeliveryMode, PiLevel, PriceModel, ProductDraft, TraderRole
from suanli.domain.exchange.review import required_stages
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import accounts
from suanli.services.audit import init_signer
from suanli.services.exchange import members, orders, products, review
from suanli.services.organisations import create_organisation

# Organisations the exchange adds: (name, name_zh, type, admin username).
NEW_ORGS = [("cd-data-group", "成都数据集团有限公司", OrganisationType.ENTERPRISE, "datagroup-admin"),
            ("tianfu-assess", "天府数据合规评估中心", OrganisationType.INTERMEDIARY, "assessor")]
ROLES = [("datagroup-admin", TraderRole.SUPPLIER), ("zhixing-admin", TraderRole.SUPPLIER),
         ("yilian-admin", TraderRole.SUPPLIER), ("casit-admin", TraderRole.SUPPLIER),
         ("assessor", TraderRole.ASSESSOR), ("uestc-admin", TraderRole.BUYER), ("maker-admin", TraderRole.BUYER),
         ("rongsuan-admin", TraderRole.BUYER), ("zhixing-admin", TraderRole.BUYER),
         ("rongsuan-admin", TraderRole.INTERMEDIARY)]
EVIDENCE = {"source_legality": "数据来源说明及采集合规承诺书", "authorisation": "数据权属及授权书",
            "pi_handling": "个人信息去标识化处理报告", "security_level": "数据分类分级报告（一般数据）"}


@dataclass(frozen=True)
class DemoProduct:
    supplier: str
    title: str
    description: str
    sector: str
    mode: DeliveryMode
    price: PriceModel
    price_fen: int
    stage: str  # draft | review-started | in_review | notice | objected | registered | rejected
    pi: PiLevel = PiLevel.NONE
    center: str | None = None
    pool: str | None = None


PRODUCTS = [
    DemoProduct("datagroup-admin", "成都市轨道交通客流数据", "按线路、站点和小时汇总的地铁进出站客流，用于交通规划与商业选址。",
                "交通", DeliveryMode.DATASET, PriceModel.PER_DOWNLOAD, 200_000, "registered", PiLevel.DEIDENTIFIED),
    DemoProduct("datagroup-admin", "成都市空气质量实时接口", "全市国控站点逐小时空气质量指数与六项污染物浓度。",
                "环境", DeliveryMode.API, PriceModel.PER_CALL, 10, "registered"),
    DemoProduct("yilian-admin", "医保结算明细（隐私计算）", "定点医疗机构医保结算明细，仅可在数据所在中心运行分析作业，只带走结果。",
                "医疗", DeliveryMode.COMPUTE, PriceModel.PER_DOWNLOAD, 500_000, "registered", PiLevel.SENSITIVE,
                "local", "cpu"),
    DemoProduct("zhixing-admin", "城市道路卡口流量统计", "主干道卡口分车型、分时段流量统计，按月更新。",
                "交通", DeliveryMode.DATASET, PriceModel.SUBSCRIPTION, 80_000, "registered"),
    DemoProduct("casit-admin", "电网负荷历史曲线接口", "成都地区分区 15 分钟负荷曲线，支持负荷预测模型训练。",
                "能源", DeliveryMode.API, PriceModel.SUBSCRIPTION, 150_000, "registered"),
    DemoProduct("datagroup-admin", "中文政务问答语料", "经人工校对的政务服务问答对，可用于大模型微调。",
                "语料", DeliveryMode.DATASET, PriceModel.PER_DOWNLOAD, 300_000, "registered"),
    DemoProduct("yilian-admin", "医学影像标注样本集", "经去标识化处理的胸部 CT 影像及专家标注。",
                "医疗", DeliveryMode.DATASET, PriceModel.PER_DOWNLOAD, 800_000, "objected", PiLevel.DEIDENTIFIED),
    DemoProduct("casit-admin", "企业用电月度指数", "分行业企业用电量月度指数，反映经济运行景气度。",
                "能源", DeliveryMode.DATASET, PriceModel.PER_DOWNLOAD, 50_000, "notice"),
    DemoProduct("zhixing-admin", "共享单车骑行轨迹", "去标识化的共享单车起讫点与骑行时长。",
                "交通", DeliveryMode.DATASET, PriceModel.PER_DOWNLOAD, 120_000, "review-started", PiLevel.DEIDENTIFIED),
    DemoProduct("datagroup-admin", "天府新区商业客流热力接口", "商圈网格化客流热力，按小时更新。",
                "商业", DeliveryMode.API, PriceModel.PER_CALL, 20, "in_review"),
    DemoProduct("zhixing-admin", "出租车订单脱敏数据", "巡游出租车订单起讫点与时段（脱敏）。",
                "交通", DeliveryMode.DATASET, PriceModel.PER_DOWNLOAD, 90_000, "draft", PiLevel.DEIDENTIFIED),
    DemoProduct("datagroup-admin", "公共停车场泊位数据", "全市公共停车场泊位实时占用情况。",
                "交通", DeliveryMode.API, PriceModel.PER_CALL, 5, "rejected"),
]


def _principal(session: Session, username: str) -> Principal:
    user = user_by_username(session, username)
    assert user is not None, username
    return accounts.principal_of(user)


def _content(item: DemoProduct) -> bytes:
    rows = ["区域,时段,数值"] + [f"区域{i},2026-11-{i:02d},{1000 + 37 * i}" for i in range(1, 21)]
    return ("# " + item.title + "\n" + "\n".join(rows) + "\n").encode() if item.mode is not DeliveryMode.API \
        else ("\n".join(rows) + "\n").encode()


def load_exchange_demo(session: Session, signer: Signer | None = None) -> list[dict[str, str]]:
    """Load the exchange's demo; certificates are signed with `signer` (default: the key in the
    configured data directory, the one `suanli serve --demo` signs with). No tree head is signed here."""
    out = []
    for name, name_zh, type_, username in NEW_ORGS:
        if organisation_by_name(session, name) is None:
            org = create_organisation(session, name=name, name_zh=name_zh, type=type_, city="成都", demo=True)
            password = f"Suanli-{secrets.token_hex(4)}-7"
            accounts.create_user(session, username=username, password=password, role=Role.ORG_ADMIN,
                                 organisation_id=org.id, display_name=username)
            session.add(DemoMarkerRow(username=username, password=password))
            out.append({"username": username, "password": password, "role": Role.ORG_ADMIN.value,
                        "organisation": name_zh})
    operator = _principal(session, "operator")
    for username, role in ROLES:
        row = members.apply_for_role(session, principal=_principal(session, username), role=role, statement="演示")
        members.decide_role(session, principal=operator, membership_id=row.id, approve=True, note="材料齐全")
    signer = signer or init_signer(load_settings().data_dir)
    ids = [_product(session, item, operator, signer) for item in PRODUCTS]
    _orders(session, ids)
    return out


def _product(session: Session, item: DemoProduct, operator: Principal, signer: Signer) -> int:
    supplier = _principal(session, item.supplier)
    assessor = _principal(session, "assessor")
    sample = "区域,时段,数值\n区域1,2026-11-01,1037"
    product = products.create_product(session, principal=supplier, draft=ProductDraft(
        title=item.title, description=item.description, sector=item.sector, source="供方自有业务系统及合法采集",
        legal_basis="数据授权协议及个人信息保护法相关规定", pi_level=item.pi, update_frequency="每日",
        delivery_mode=item.mode, price_model=item.price, price_fen=item.price_fen,
        licence="仅限买方内部使用，不得转售或再识别。", sample=sample, schema=[{"name": "区域"}, {"name": "时段"}],
        center=item.center, pool=item.pool))
    version = products.add_version(session, principal=supplier, product_id=product.id, label="2026.11",
                                   content=_content(item))
    if item.stage == "draft":
        return product.id
    evidence = {k: v for k, v in EVIDENCE.items() if item.pi is not PiLevel.NONE or k != "pi_handling"}
    products.submit_for_review(session, principal=supplier, version_id=version.id,
                               assessor_organisation_id=assessor.organisation_id, evidence=evidence)
    stages = required_stages(item.pi)
    if item.stage == "in_review":
        return product.id
    if item.stage == "review-started":
        for stage in stages[:2]:
            review.review_stage(session, principal=assessor, version_id=version.id, stage=stage, passed=True,
                                note="材料齐全")
        return product.id
    if item.stage == "rejected":
        review.review_stage(session, principal=assessor, version_id=version.id, stage=stages[-1], passed=False,
                            note="安全等级评估报告缺失签章")
        return product.id
    started = utcnow() - (timedelta(days=10) if item.stage == "registered" else timedelta(days=1))
    for stage in stages:
        review.review_stage(session, principal=assessor, version_id=version.id, stage=stage, passed=True,
                            note="符合要求", now=started)
    if item.stage == "objected":
        review.lodge_objection(session, principal=None, version_id=version.id, name="成都某医院信息科",
                               contact="xinxike@example.cn", reason="样本中部分影像的授权范围需进一步核实。")
    if item.stage == "registered":
        review.certify(session, principal=operator, version_id=version.id, signer=signer)
    return product.id


def _orders(session: Session, ids: list[int]) -> None:
    """One order of each delivery mode, with a download, an API call and a compute run."""
    uestc, rongsuan, maker = (_principal(session, u) for u in ("uestc-admin", "rongsuan-admin", "maker-admin"))
    dataset = orders.place_order(session, principal=uestc, product_id=ids[0], quantity=3, accept_licence=True)
    orders.download(session, principal=uestc, order_id=dataset.order.id)
    api = orders.place_order(session, principal=rongsuan, product_id=ids[1], quantity=1000, accept_licence=True)
    assert api.api_key is not None
    orders.api_call(session, key=api.api_key, product_id=ids[1], limit=5)
    compute = orders.place_order(session, principal=maker, product_id=ids[2], quantity=2, accept_licence=True)
    orders.run_compute(session, principal=maker, order_id=compute.order.id, command='wc -l < "$SUANLI_DATASET"',
                       time_limit_s=60, data_dir=load_settings().data_dir)
    orders.place_order(session, principal=uestc, product_id=ids[5], quantity=1, accept_licence=True)
