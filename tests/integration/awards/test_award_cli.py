"""`suanli award|opportunity|indicator` over a real uvicorn server on SQLite and PostgreSQL, each person
signed in with their own token: every command's happy path with `-o table|json|csv`, and bad input as
one line with exit 1 (the API refused: a threshold claimed twice, a duplicate sheet row, a period that
does not exist, a malformed import sheet) or 2 (a usage error), nothing written."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from suanli.cli.main import app
from suanli.domain.ledger.periods import period_of
from suanli.domain.opportunities import ComputeNeed, ItemKind, OpportunityDraft, Track
from suanli.domain.opportunities.table import to_csv
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import served

ROOT = Path(__file__).resolve().parents[3]
AWARDS, INDICATORS = ROOT / "examples" / "awards", ROOT / "examples" / "indicators" / "chengdu-ai.yaml"
ITEM = "ai-2024-revenue-thresholds"
WAN = 1_000_000  # fen in ¥10,000


@dataclass
class World:
    api: object
    url: str
    orgs: dict[str, int]
    tmp: Path

    def __call__(self, user: str, *args: str):  # type: ignore[no-untyped-def]
        env = {"SUANLI_URL": self.url, "SUANLI_TOKEN": self.api.tokens[user],  # type: ignore[attr-defined]
               "SUANLI_CREDENTIALS": str(self.tmp / "none.json"), "COLUMNS": "250"}
        return CliRunner().invoke(app, list(args), env=env)

    def json(self, user: str, *args: str):  # type: ignore[no-untyped-def]
        result = self(user, *args, "-o", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def world(api, tmp_path: Path) -> Iterator[World]:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    orgs = {"bureau": bureau, "zhixing": api.organisation("成都智行交通科技有限公司"),
            "yilian": api.organisation("四川医联影像科技有限公司"), "stranger": api.organisation("stranger")}
    for user, role, org in (("officer", Role.PROGRAM_OFFICER, "bureau"), ("reviewer", Role.PROGRAM_OFFICER, "bureau"),
                            ("finance", Role.FINANCE_OFFICER, "bureau"), ("operator", Role.PLATFORM_OPERATOR, "bureau"),
                            ("zx-admin", Role.ORG_ADMIN, "zhixing"), ("zx-member", Role.ORG_MEMBER, "zhixing"),
                            ("yl-admin", Role.ORG_ADMIN, "yilian"), ("outsider", Role.ORG_ADMIN, "stranger")):
        api.user(user, role, orgs[org])
    with served(api.client.app) as url:
        yield World(api, url, orgs, tmp_path)


def one_line(result, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


# --- awards -------------------------------------------------------------------------------------------------


def test_award_items_facts_matches_confirm_decide_fund_pay_and_disclose(world: World) -> None:
    w, company = world, world.orgs["zhixing"]
    for name in ("revenue-thresholds", "standards"):
        assert "loaded award item" in w("officer", "award", "load", str(AWARDS / f"{name}.yaml")).output
    items = {i["code"]: i for i in w.json("officer", "award", "items")}
    assert items[ITEM]["tiers"][0] == {"id": "300m", "threshold_fen": 30_000 * WAN, "amount_fen": 10 * WAN}
    assert items[ITEM]["budget_left_fen"] == 500 * WAN and items[ITEM]["no_application"] is True
    table = w("zx-member", "award", "items").output
    assert "人工智能企业营收跨越奖励" in table and "¥100,000.00" in table and "每档一次" in table
    assert "AI enterprise revenue threshold award" in w("zx-member", "award", "items", "--lang", "en").output

    for key, value in (("revenue_fen:2024", str(35_000 * WAN)), ("ai_revenue_share_pct:2024", "72")):
        done = w("officer", "award", "fact", str(company), key, value, "--source", "2024年度审计报告", "--as-of", "2025-04-30")
        assert done.exit_code == 0 and "2024年度审计报告" in done.output, done.output
    assert {f["key"] for f in w.json("officer", "award", "facts", str(company))} == {"revenue_fen:2024",
                                                                                    "ai_revenue_share_pct:2024"}
    assert "bureau" in one_line(w("zx-admin", "award", "fact", str(company), "revenue_fen:2024", "1", "--source", "me",
                                  "--as-of", "2025-01-01"))  # a claimant never records its own facts
    assert "YYYY-MM-DD" in one_line(w("officer", "award", "fact", str(company), "k", "v", "--source", "s",
                                      "--as-of", "30/04/2025"), code=2)
    [match] = w.json("zx-member", "award", "matches", "--year", "2024")
    assert (match["item"], match["amount_fen"], match["no_application"]) == (ITEM, 10 * WAN, True)
    assert "人工智能业务收入占比不低于60%" in w("zx-member", "award", "matches", "--year", "2024").output

    # 免申即享: the administrator confirms; a member may not; confirming twice is refused in one line.
    assert "administrator" in one_line(w("zx-member", "award", "confirm", ITEM, "--year", "2024"))
    confirmed = w.json("zx-admin", "award", "confirm", ITEM, "--year", "2024")
    assert confirmed["amount_fen"] == 10 * WAN and confirmed["item"] == ITEM
    assert [p["status"] for p in confirmed["payouts"]] == ["owed"]
    one_line(w("zx-admin", "award", "confirm", ITEM, "--year", "2024"))

    # The same threshold claimed twice (under another basis): exit 1, one line naming the rule, nothing written.
    twice = one_line(w("officer", "award", "decide", ITEM, "--organisation", str(company), "--year", "2024",
                       "--basis", "revenue:zhixing:2024-again", "--evidence", "audited-revenue"))
    assert f"(rule {ITEM}.tier.300m.once)" in twice and "award-claimed-already" in twice
    assert len(w.json("officer", "award", "claims")) == 1

    # The officer's decision on an application with its evidence; bad input first.
    decide = ("award", "decide", "ai-2024-standards", "--organisation", str(company), "--year", "2024",
              "--basis", "standard:T/CDAI 001-2024", "--evidence", "standard-publication")
    assert "level" in one_line(w("officer", *decide, "--level", "galactic"))
    assert "PARTY=YUAN" in one_line(w("officer", *decide, "--base", "developer"), code=2)
    assert "not an amount" in one_line(w("officer", *decide, "--reviewed-amount", "lots"), code=2)
    assert "program officers" in one_line(w("zx-admin", *decide, "--level", "industry"))
    line = w("officer", *decide, "--level", "industry")
    assert line.exit_code == 0 and "¥250,000.00" in line.output, line.output

    # The bureau pays the budget in (a repeated key pays once); the finance batch pays the awards.
    funded = w.json("finance", "award", "fund", ITEM, "100000", "--idempotency-key", "fund-1")
    assert w.json("finance", "award", "fund", ITEM, "100000", "--idempotency-key", "fund-1")["transfer"] == funded["transfer"]
    assert "more than zero" in one_line(w("finance", "award", "fund", ITEM, "0"), code=2)
    assert w("finance", "award", "fund", "ai-2024-standards", "250000").exit_code == 0
    batches = w.json("operator", "ledger", "batches", "--create", period_of(datetime.now(UTC)))
    [batch] = batches
    assert batch["total_fen"] == 35 * WAN
    assert w("finance", "ledger", "approve", str(batch["id"]), "--pay").exit_code == 0
    shown = w.json("zx-admin", "award", "show", str(confirmed["id"]))
    assert [(p["status"], p["batch_id"]) for p in shown["payouts"]] == [("paid", batch["id"])]
    table = w("zx-admin", "award", "show", str(confirmed["id"])).output
    assert f"{ITEM}.no-application" in table and "paid" in table

    # Claims: the bureau sees all; an organisation its own; another tenant none, and a claim of it as "not found".
    assert len(w.json("officer", "award", "claims")) == 2
    assert len(w.json("zx-member", "award", "claims", "--item", ITEM)) == 1
    assert w.json("outsider", "award", "claims") == []
    assert "not found" in one_line(w("outsider", "award", "show", str(confirmed["id"])))
    rows = list(csv.reader(io.StringIO(w("zx-admin", "award", "claims", "-o", "csv").stdout)))
    assert rows[0][:3] == ["id", "item", "organisation"] and len(rows) == 3 and rows[1][5] == "250000.00"

    # 公示: shown, exported and published (officers only publish).
    [row] = w.json("zx-member", "award", "disclosure", ITEM)
    assert (row["organisation"], row["amount_fen"]) == ("成都智行交通科技有限公司", 10 * WAN)
    assert "program officer" in one_line(w("zx-member", "award", "disclosure", ITEM, "--publish"))
    out = w.tmp / "gs.csv"
    assert w("officer", "award", "disclosure", ITEM, "--out", str(out), "--publish").exit_code == 0
    assert "成都智行交通科技有限公司" in out.read_bytes().decode("utf-8-sig")
    assert ".csv or .xlsx" in one_line(w("officer", "award", "disclosure", ITEM, "--out", str(w.tmp / "g.pdf")), code=2)


def test_an_organisation_applies_with_evidence_and_the_officer_approves_or_refuses(world: World) -> None:
    w, developer, user = world, world.orgs["yilian"], world.orgs["zhixing"]
    for name in ("first-version-software", "large-model-registration", "revenue-thresholds"):
        assert w("officer", "award", "load", str(AWARDS / f"{name}.yaml")).exit_code == 0
    w("officer", "award", "fact", str(developer), "certification:first_version_software", "true",
      "--source", "四川省首版次软件产品认定", "--as-of", "2024-06-01")
    software = ("award", "apply", "ai-2024-first-version-software", "--year", "2024", "--basis", "product:医联影像诊断软件V1",
                "--evidence", "software-copyright", "--evidence", "test-report", "--base", "developer=3000000",
                "--base", "first_user=800000", "--party", "first_user=成都智行交通科技有限公司")
    assert "evidence.first-contract" in one_line(w("yl-admin", *software))  # refused at once, naming the rule
    assert "evidence" in one_line(w("yl-admin", *software, "--evidence", "first-contract", "--evidence", "selfie"))
    assert "administrator" in one_line(w("zx-member", *software, "--evidence", "first-contract"))
    submitted = w.json("yl-admin", *software, "--evidence", "first-contract")
    assert (submitted["status"], submitted["amount_fen"], submitted["payouts"]) == ("submitted", 0, [])
    assert "submitted" in one_line(w("yl-admin", *software, "--evidence", "first-contract"))  # awaits review already
    assert "no-application" in one_line(w("yl-admin", "award", "apply", ITEM, "--year", "2024", "--basis", "r:2024",
                                          "--evidence", "audited-revenue"))
    assert [c["id"] for c in w.json("officer", "award", "claims", "--status", "submitted")] == [submitted["id"]]
    assert w.json("outsider", "award", "claims") == []

    # Approved: decided as the officer's decision is, each party's amount owed; the first user sees it too.
    assert "program officers" in one_line(w("yl-admin", "award", "review", str(submitted["id"])))
    approved = w.json("officer", "award", "review", str(submitted["id"]))
    assert (approved["status"], approved["amount_fen"]) == ("decided", 380_000_00)
    assert {(p["party"], p["organisation_id"], p["amount_fen"]) for p in approved["payouts"]} == {
        ("developer", developer, 300_000_00), ("first_user", user, 80_000_00)}
    assert "ai-2024-first-version-software.evidence" in {r["rule"] for r in approved["rules"]}
    assert "reviewed-once" in one_line(w("officer", "award", "review", str(submitted["id"])))
    assert [c["id"] for c in w.json("zx-admin", "award", "claims")] == [submitted["id"]]

    # Refused with a reason; the basis is free for a new application.
    model = ("award", "apply", "ai-2024-large-model-registration", "--year", "2024", "--basis", "model:医联影像大模型",
             "--evidence", "registration-notice")
    assert "large-model.registered" in one_line(w("yl-admin", *model))  # no registration in the profile: refused
    w("officer", "award", "fact", str(developer), "registration:large_model", "2024-04-10", "--source", "网信办备案公告",
      "--as-of", "2024-04-10")
    pending = w.json("yl-admin", *model)
    assert "--note" in one_line(w("officer", "award", "review", str(pending["id"]), "--refuse"), code=2)
    refused = w.json("officer", "award", "review", str(pending["id"]), "--refuse", "--note", "命名文件与名单不符")
    assert refused["status"] == "refused" and "命名文件与名单不符" in refused["rules"][0]["zh"]
    assert w.json("yl-admin", *model)["status"] == "submitted"
    assert "--status" in one_line(w("officer", "award", "claims", "--status", "paid"), code=2)


def test_a_malformed_award_file_is_one_line_naming_line_and_field_and_nothing_is_loaded(world: World) -> None:
    bad = world.tmp / "bad.yaml"
    bad.write_text((AWARDS / "little-giant.yaml").read_text("utf-8").replace("kind: fixed", "kind: lottery"), "utf-8")
    line = one_line(world("officer", "award", "load", str(bad)), code=2)
    assert "line " in line and "award.kind" in line and str(bad) in line
    assert world.json("officer", "award", "items") == []
    assert "cannot read" in one_line(world("officer", "award", "load", str(world.tmp / "none.yaml")), code=2)
    assert "--lang" in one_line(world("officer", "award", "items", "--lang", "fr"), code=2)


# --- opportunities ------------------------------------------------------------------------------------------


def _drafts() -> list[OpportunityDraft]:
    return [
        OpportunityDraft(code="2023-S-001", kind=ItemKind.SUPPLY, track=Track.MODELS, title="交通大模型路口信号优化",
                         issuer="成都智行交通科技有限公司", region="高新区", scenario="城市交通治理",
                         description="基于大模型的城市路口信号配时优化，已在多个路口试点。", indicators="通行效率提升15%以上",
                         deadline=date(2026, 12, 31), contact_name="张工", contact_phone="+86 28 8888 0001",
                         contact_email="zhang@zhixing.example"),
        OpportunityDraft(code="2023-D-001", kind=ItemKind.DEMAND, track=Track.COMPUTE, title="医学影像模型训练算力需求",
                         issuer="四川医联影像科技有限公司", region="天府新区", scenario="医疗健康",
                         description="需要训练肺结节检测模型", indicators="=SUM(A1:A2) 不应被当作公式",
                         budget_fen=123_456_789_00, deadline=date(2026, 6, 30), contact_name="李医生",
                         compute=ComputeNeed(devices=8, hours=12.5, models=("A800",))),
        OpportunityDraft(code="2023-S-002", kind=ItemKind.SUPPLY, track=Track.DATASETS, title="农业病虫害图像语料",
                         issuer="四川农科数据有限公司", region="温江区", scenario="智慧农业",
                         description="十万张标注图片，覆盖水稻和小麦"),
    ]


def test_opportunity_batches_import_search_export_and_matching(world: World) -> None:
    w = world
    batch = w.json("officer", "opportunity", "batch", "create", "第一批")
    sheet, duplicate = w.tmp / "list.csv", w.tmp / "dup.csv"
    sheet.write_bytes(to_csv(_drafts()))
    duplicate.write_bytes(to_csv([*_drafts(), _drafts()[1]]))
    refused = one_line(w("officer", "opportunity", "batch", "import", str(batch["id"]), str(duplicate)))
    assert "row 5 repeats row 3" in refused
    assert w.json("officer", "opportunity", "list")["total"] == 0  # nothing written
    assert ".xlsx or .csv" in one_line(w("officer", "opportunity", "batch", "import", str(batch["id"]),
                                         str(w.tmp / "list.pdf")), code=2)
    imported = w.json("officer", "opportunity", "batch", "import", str(batch["id"]), str(sheet))
    assert [i["code"] for i in imported] == ["2023-S-001", "2023-D-001", "2023-S-002"]
    assert "batch" in w("officer", "opportunity", "batch", "submit", str(batch["id"])).output
    one_line(w("officer", "opportunity", "batch", "review", str(batch["id"]), "publish"))  # four eyes
    assert "publish or return" in one_line(w("reviewer", "opportunity", "batch", "review", str(batch["id"]), "ok"),
                                           code=2)
    assert w.json("reviewer", "opportunity", "batch", "review", str(batch["id"]), "publish")["status"] == "published"

    # Chinese search: a two-character word in the middle of a sentence.
    found = w.json("zx-member", "opportunity", "list", "结节")
    assert [i["code"] for i in found["items"]] == ["2023-D-001"] and found["total"] == 1
    assert "农业病虫害图像语料" in w("zx-member", "opportunity", "list", "--track", "datasets").output
    rows = list(csv.reader(io.StringIO(w("zx-member", "opportunity", "list", "-o", "csv").stdout)))
    assert len(rows) == 4 and any("123456789.00" in r for r in rows[1:])  # the budget in yuan, no ¥
    assert "--kind is one of" in one_line(w("zx-member", "opportunity", "list", "--kind", "gift"), code=2)
    demand = found["items"][0]
    shown = w.json("zx-member", "opportunity", "show", str(demand["id"]))
    assert shown["indicators"] == "=SUM(A1:A2) 不应被当作公式" and shown["compute_devices"] == 8

    # Export in the bureau's layout, XLSX and CSV, every field kept.
    out = w.tmp / "export.xlsx"
    assert w("zx-member", "opportunity", "batch", "export", str(batch["id"]), "--out", str(out)).exit_code == 0
    sheet_rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert len(sheet_rows) == 4 and "医学影像模型训练算力需求" in sheet_rows[2]
    back = w.tmp / "export.csv"
    assert w("zx-member", "opportunity", "batch", "export", str(batch["id"]), "--out", str(back)).exit_code == 0
    assert back.read_bytes() == sheet.read_bytes()

    # 对接: request, follow its status, answer and conclude; another tenant sees none of it.
    supply = w.json("yl-admin", "opportunity", "list", "信号")["items"][0]
    match = w.json("yl-admin", "opportunity", "match", "request", str(supply["id"]), "--message", "想合作")
    assert match["status"] == "requested"
    one_line(w("yl-admin", "opportunity", "match", "request", str(supply["id"])))  # asked already
    assert "accepted, declined or withdrawn" in one_line(w("zx-admin", "opportunity", "match", "answer",
                                                           str(match["id"]), "maybe"), code=2)
    assert w.json("zx-admin", "opportunity", "match", "answer", str(match["id"]), "accepted")["status"] == "accepted"
    concluded = w.json("zx-admin", "opportunity", "match", "conclude", str(match["id"]), "signed", "--amount", "50000")
    assert (concluded["outcome"], concluded["outcome_amount_fen"]) == ("signed", 5_000_000)
    history = w.json("yl-admin", "opportunity", "match", "status", str(match["id"]))
    assert [e["status"] for e in history] == ["requested", "accepted", "concluded"]
    assert [m["id"] for m in w.json("yl-admin", "opportunity", "match", "list")] == [match["id"]]
    assert w.json("outsider", "opportunity", "match", "list") == []
    assert "not found" in one_line(w("outsider", "opportunity", "match", "status", str(match["id"])))

    # Closing and evaluating an item.
    one_line(w("zx-admin", "opportunity", "close", str(supply["id"])))  # the bureau closes items
    assert w.json("officer", "opportunity", "close", str(supply["id"]))["status"] == "closed"
    evaluation = w.json("officer", "opportunity", "evaluate", str(supply["id"]), "--score", "4")
    assert (evaluation["matches"], evaluation["deals"]) == (1, 1)


# --- indicators ---------------------------------------------------------------------------------------------


def test_indicator_definitions_figures_import_and_export(world: World) -> None:
    w = world
    malformed = w.tmp / "indicators.yaml"
    malformed.write_text(INDICATORS.read_text("utf-8").replace("targets: {2024: 900, 2025: 1500}",
                                                               "targets: {2024: 900, 2030: 1500}"), "utf-8")
    line = one_line(w("officer", "indicator", "load", str(malformed)), code=2)
    assert "line " in line and "indicators.0" in line and "2030" in line
    assert w.json("zx-member", "indicator", "list") == []  # nothing loaded
    assert "loaded" in w("officer", "indicator", "load", str(INDICATORS)).output
    assert w("zx-member", "indicator", "load", str(INDICATORS)).exit_code == 1
    entered = w.json("officer", "indicator", "enter", "ai-industry-scale", "2024", "912.5", "--source", "统计公报")
    assert (entered["period"], entered["value"], entered["entered_by"]) == ("2024", "912.5", "officer")
    [scale] = [i for i in w.json("zx-member", "indicator", "list") if i["code"] == "ai-industry-scale"]
    by_year = {y["year"]: (Decimal(y["target"]), Decimal(y["value"])) for y in scale["years"] if y["value"]}
    assert by_year[2024] == (Decimal(900), Decimal("912.5"))
    rows = list(csv.DictReader(io.StringIO(w("zx-member", "indicator", "list", "--year", "2024", "-o", "csv").stdout)))
    [row] = [r for r in rows if r["code"] == "ai-industry-scale"]
    assert (row["target"], row["value"], row["progress"]) == ("900", "912.5", "101.4%")
    assert "AI industry scale" in w("zx-member", "indicator", "list", "--lang", "en").output

    # A period that does not exist, a quarter of a yearly indicator, a figure that is no number, a member.
    assert "2031" in one_line(w("officer", "indicator", "enter", "ai-industry-scale", "2031", "1"))
    assert "2024Q2" in one_line(w("officer", "indicator", "enter", "ai-industry-scale", "2024Q2", "1"))
    assert "not a number" in one_line(w("officer", "indicator", "enter", "ai-industry-scale", "2024", "许多"), code=2)
    one_line(w("zx-admin", "indicator", "enter", "ai-industry-scale", "2024", "1"))

    # A malformed sheet names the row and the field and writes nothing; a good one imports every row.
    before = w.json("officer", "indicator", "list")
    bad = w.tmp / "figures.csv"
    bad.write_text("指标代码,期间,数值,来源\nai-industry-scale,2023,760,统计\nai-industry-scale,2022,很多,统计\n", "utf-8")
    line = one_line(w("officer", "indicator", "import", str(bad)))
    assert "row 3" in line and "数值" in line and "很多" in line
    wrong = w.tmp / "wrong.csv"
    wrong.write_text("指标代码,期间,数值,来源\nai-application-scenarios,2025,90,清单\n", "utf-8")
    assert "row 2" in one_line(w("officer", "indicator", "import", str(wrong)))
    assert w.json("officer", "indicator", "list") == before
    good = w.tmp / "good.csv"
    good.write_text("指标代码,期间,数值,来源\nai-industry-scale,2023,760,统计\nai-application-scenarios,2025Q1,90,清单\n",
                    "utf-8")
    assert "imported 2 figures" in w("officer", "indicator", "import", str(good)).output

    out = w.tmp / "indicators.xlsx"
    assert w.json("zx-member", "indicator", "export", "--out", str(out))["bytes"] > 0
    cells = [c for r in load_workbook(out).worksheets[0].iter_rows(values_only=True) for c in r]
    assert "ai-industry-scale" in cells
    assert ".xlsx" in one_line(w("zx-member", "indicator", "export", "--out", str(w.tmp / "i.csv")), code=2)
