"""Demo data for the city's other AI policies (issue 17): a published opportunity batch of a few dozen
items with matching requests in several states, the industry indicators for 2022-2026 with the
figures of the city's plan, the six award items with profile facts, two decided claims (one of them paid
through a disbursement batch approved by a second person), one application awaiting review and one refused
with its reason. Called once from `services.demo.load_demo`, through the services."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from suanli import EXAMPLES
from suanli.db.models.base import utcnow
from suanli.db.repositories.organisations import user_by_username
from suanli.domain.ledger.periods import period_of
from suanli.domain.opportunities import (
    ComputeNeed,
    ItemKind,
    MatchOutcome,
    MatchStatus,
    OpportunityDraft,
    Track,
)
from suanli.domain.organisations import Principal
from suanli.services import accounts, opportunities

K, T = ItemKind, Track
# (kind, track, title, issuer, region, scenario, description)
ITEMS = [
    (K.SUPPLY, T.MODELS, "交通大模型路口信号优化", "成都智行交通科技有限公司", "高新区", "城市交通治理", "基于大模型的城市路口信号配时优化，已在多个路口试点。"),
    (K.SUPPLY, T.APPLICATIONS, "医学影像辅助诊断系统", "四川医联影像科技有限公司", "天府新区", "医疗健康", "肺结节与骨折影像辅助诊断，已获二类医疗器械注册证。"),
    (K.SUPPLY, T.COMPUTE, "国产智算集群算力服务", "成都智算中心", "郫都区", "通用算力", "昇腾910B集群按卡时提供训练与推理算力。"),
    (K.SUPPLY, T.COMPUTE, "超算中心科学计算服务", "国家超级计算成都中心", "天府新区", "科学计算", "面向材料、气象和生物医药的高性能计算服务。"),
    (K.SUPPLY, T.DATASETS, "川菜工艺多模态语料", "天府AI创客小队", "成华区", "文化旅游", "川菜制作视频与文本语料三万条，已完成标注。"),
    (K.SUPPLY, T.DATASETS, "农业病虫害图像语料", "中国科学院成都计算机应用研究所", "温江区", "智慧农业", "十万张标注图片，覆盖水稻和小麦的常见病虫害。"),
    (K.SUPPLY, T.HARDWARE, "边缘推理加速卡", "成都芯算科技有限公司", "双流区", "智能制造", "低功耗边缘推理加速卡，支持主流框架。"),
    (K.SUPPLY, T.DEVICES, "巡检机器人", "成都睿行机器人有限公司", "龙泉驿区", "能源电力", "变电站与管廊自主巡检机器人。"),
    (K.SUPPLY, T.MODELS, "金融风控大模型", "蓉算科技服务有限公司", "锦江区", "金融", "面向中小银行的信贷风控模型服务。"),
    (K.SUPPLY, T.APPLICATIONS, "政务热线智能坐席", "成都智慧政务科技有限公司", "青羊区", "城市治理", "12345热线工单自动分类与答复建议。"),
    (K.SUPPLY, T.APPLICATIONS, "工业质检视觉平台", "成都精视智能有限公司", "新都区", "智能制造", "面向电子元器件与汽车零部件的表面缺陷检测。"),
    (K.SUPPLY, T.MODELS, "川渝方言语音识别模型", "电子科技大学", "高新区", "公共服务", "覆盖成都话、重庆话等西南官话的语音识别。"),
    (K.SUPPLY, T.DEVICES, "智能农机终端", "四川农联智能装备有限公司", "崇州市", "智慧农业", "无人驾驶插秧机与植保无人机终端。"),
    (K.SUPPLY, T.APPLICATIONS, "智慧工地安全监测", "成都建安智能有限公司", "武侯区", "城市建设", "基于视频的安全帽与危险区域识别。"),
    (K.SUPPLY, T.HARDWARE, "液冷服务器整机", "成都天府服务器有限公司", "简阳市", "数据中心", "面向智算中心的液冷整机柜。"),
    (K.SUPPLY, T.DATASETS, "城市交通流量数据集", "成都智行交通科技有限公司", "高新区", "城市交通治理", "主城区路口分钟级流量数据，已脱敏。"),
    (K.SUPPLY, T.APPLICATIONS, "智能客服知识库", "成都知语科技有限公司", "金牛区", "金融", "基于检索增强生成的客服问答。"),
    (K.SUPPLY, T.MODELS, "遥感影像解译模型", "四川遥感应用中心", "天府新区", "生态环境", "耕地与水体变化自动识别。"),
    (K.SUPPLY, T.APPLICATIONS, "中小学作业智能批改", "成都启智教育科技有限公司", "成华区", "教育", "数学与语文作业自动批改与学情分析。"),
    (K.SUPPLY, T.DEVICES, "社区养老智能终端", "成都颐康科技有限公司", "温江区", "医疗健康", "跌倒检测与健康监测终端。"),
    (K.SUPPLY, T.APPLICATIONS, "物流路径优化系统", "成都青白江物流科技有限公司", "青白江区", "交通物流", "多式联运的运输路径与装载优化。"),
    (K.SUPPLY, T.MODELS, "电力负荷预测模型", "国网成都电力科学研究院", "锦江区", "能源电力", "区县级日前负荷预测。"),
    (K.SUPPLY, T.APPLICATIONS, "文旅数字人导览", "成都文旅数字科技有限公司", "青羊区", "文化旅游", "景区多语种数字人讲解。"),
    (K.DEMAND, T.COMPUTE, "医学影像模型训练算力需求", "四川医联影像科技有限公司", "天府新区", "医疗健康", "需要训练肺结节检测模型，约一周。"),
    (K.DEMAND, T.COMPUTE, "交通仿真大规模算力需求", "成都智行交通科技有限公司", "高新区", "城市交通治理", "全市路网仿真需要GPU算力。"),
    (K.DEMAND, T.APPLICATIONS, "制造企业设备预测性维护", "成都某汽车零部件有限公司", "龙泉驿区", "智能制造", "寻求振动数据的故障预测方案。"),
    (K.DEMAND, T.DATASETS, "政务文书语料需求", "成都市政务服务管理和网络理政办公室", "青羊区", "城市治理", "需要脱敏政务文书语料用于模型微调。"),
    (K.DEMAND, T.APPLICATIONS, "农产品溯源与分级", "成都蒲江猕猴桃合作社", "蒲江县", "智慧农业", "寻求猕猴桃外观分级与溯源方案。"),
    (K.DEMAND, T.MODELS, "银行智能投顾模型", "成都某农村商业银行", "锦江区", "金融", "寻求可解释的投顾模型与合规评估。"),
    (K.DEMAND, T.DEVICES, "地铁站智能安检终端", "成都轨道交通集团", "金牛区", "城市交通治理", "寻求违禁品智能识别安检设备。"),
]


def _principal(session: Session, username: str) -> Principal:
    user = user_by_username(session, username)
    assert user is not None, username
    return accounts.principal_of(user)


def load(session: Session) -> None:
    _opportunities(session)
    from suanli.services import indicators

    indicators.load_demo_indicators(session, actor=_principal(session, "officer"))
    _awards(session)


AWARDS = EXAMPLES / "awards"
FACTS = [  # (organisation, key, value, source, as of)
    ("zhixing", "revenue_fen:2024", str(52_000 * 1_000_000), "2024年度审计报告（蓉信会计师事务所）", date(2025, 4, 30)),
    ("zhixing", "ai_revenue_share_pct:2024", "78", "2024年度审计报告（蓉信会计师事务所）", date(2025, 4, 30)),
    ("zhixing", "certification:little_giant", "true", "工业和信息化部第六批专精特新“小巨人”企业名单", date(2024, 8, 1)),
    ("yilian", "registration:large_model", "2024-04-10", "国家网信办生成式人工智能服务备案公告", date(2024, 4, 10)),
    ("yilian", "certification:first_version_software", "true", "四川省首版次软件产品认定", date(2024, 6, 1)),
]


def _awards(session: Session) -> None:
    from suanli.db.repositories.organisations import organisation_by_name
    from suanli.services import awards, profile

    officer = _principal(session, "officer")
    for path in sorted(AWARDS.glob("*.yaml")):
        awards.load_item(session, actor=officer, text=path.read_text(encoding="utf-8"))
    ids = {}
    for org, key, value, source, as_of in FACTS:
        row = organisation_by_name(session, org)
        assert row is not None
        ids[org] = row.id
        profile.record_fact(session, actor=officer, organisation_id=row.id, key=key, value=value, source=source, as_of=as_of)
    awards.apply(session, actor=officer, organisation_id=ids["yilian"], item_code="ai-2024-large-model-registration",
                 year=2024, basis="model:医联影像大模型", evidence=frozenset({"registration-notice"}))
    # The bureau pays the decided amounts in; the large-model award is paid on the money path (a disbursement
    # batch prepared by the operator, approved and paid by finance: four eyes); the others wait, owed.
    for code, fen in (("ai-2024-large-model-registration", 100_000_000), ("ai-2024-standards", 25_000_000)):
        awards.fund_item(session, actor=officer, item_code=code, amount_fen=fen, idempotency_key=f"demo:award-fund:{code}")
    _pay_awards_decided_so_far(session)
    awards.apply(session, actor=officer, organisation_id=ids["zhixing"], item_code="ai-2024-standards", year=2024,
                 basis="standard:T/CDAI 001-2024", level="industry", evidence=frozenset({"standard-publication"}))
    # An application awaiting the bureau's review (申报 → 审核): first-version software, developer and first user.
    awards.submit(session, actor=_principal(session, "yilian-admin"), organisation_id=ids["yilian"],
                  item_code="ai-2024-first-version-software", year=2024, basis="product:医联影像辅助诊断系统V2.0",
                  evidence=frozenset({"software-copyright", "test-report", "first-contract"}),
                  bases={"developer": 180_000_000, "first_user": 60_000_000}, parties={"first_user": "zhixing"})
    # An application the bureau refused, with its reason (the organisation sees it on its home page).
    refused = awards.submit(session, actor=_principal(session, "zhixing-admin"), organisation_id=ids["zhixing"],
                            item_code="ai-2024-standards", year=2024, basis="standard:T/CDAI 003-2024",
                            level="industry", evidence=frozenset({"standard-publication"}))
    awards.review(session, actor=officer, application_id=refused.id, approve=False,
                  note="标准发布公告未列明贵单位为主导起草单位")


def _pay_awards_decided_so_far(session: Session) -> None:
    """The month's award payouts owed so far go into a batch the operator prepares; finance approves and
    pays it (the preparer may not approve), as every disbursement does."""
    from suanli.services import settlement

    batch = settlement.create_batch(session, month=period_of(utcnow()), created_by="operator")
    settlement.approve_batch(session, batch_id=batch.id, approved_by="finance")
    settlement.pay_batch(session, batch_id=batch.id, paid_by="finance")


def _opportunities(session: Session) -> None:
    officer, reviewer = _principal(session, "officer"), _principal(session, "reviewer")
    batch = opportunities.create_batch(session, actor=officer, title="成都市前沿科技成果转化人工智能机会清单（第一批）")
    drafts = []
    for n, (kind, track, title, issuer, region, scenario, description) in enumerate(ITEMS, start=1):
        compute = ComputeNeed(devices=8, hours=168) if (kind, track) == (K.DEMAND, T.COMPUTE) else None
        drafts.append(OpportunityDraft(
            code=f"2023-{'S' if kind == K.SUPPLY else 'D'}-{n:03d}", kind=kind, track=track, title=title, issuer=issuer,
            region=region, scenario=scenario, description=description,
            indicators="准确率95%以上" if track in (T.MODELS, T.APPLICATIONS) else "",
            budget_fen=(50 + 10 * n) * 1_000_000 if kind == K.DEMAND else None, deadline=date(2027, 6, 30),
            contact_name="联系人", contact_phone=f"028-8{n:03d}0000", contact_email=f"contact{n}@example.cn",
            compute=compute))
    from suanli.services.opportunities.batches import import_drafts

    import_drafts(session, actor=officer, batch_id=batch.id, drafts=drafts)
    opportunities.submit_batch(session, actor=officer, batch_id=batch.id)
    opportunities.review_batch(session, actor=reviewer, batch_id=batch.id, decision="publish", note="经审核同意发布")
    found = {r.code: r for r in opportunities.search(session, limit=100).items}
    yilian, zhixing, uestc = (_principal(session, u) for u in ("yilian-admin", "zhixing-admin", "uestc-admin"))
    m1 = opportunities.request_match(session, actor=yilian, item_id=found["2023-S-001"].id, message="希望在医院周边路口试点")
    opportunities.answer_match(session, actor=zhixing, match_id=m1.id, status=MatchStatus.ACCEPTED, note="欢迎洽谈")
    opportunities.conclude_match(session, actor=zhixing, match_id=m1.id, outcome=MatchOutcome.PILOT, note="签订试点协议")
    opportunities.request_match(session, actor=uestc, item_id=found["2023-S-002"].id, message="联合研究影像算法")
    opportunities.request_match(session, actor=zhixing, item_id=found["2023-S-012"].id, message="方言语音用于交通热线")
