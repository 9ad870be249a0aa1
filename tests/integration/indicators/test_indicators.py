"""Industry indicators on SQLite and PostgreSQL: the indicator file, figures per period with who and
when, a period that does not exist refused naming it (nothing written), progress against target and
year-over-year change, the platform's own figures from its records, and the XLSX export."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.indicators import IndicatorFigureRow
from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.indicators import InvalidIndicatorFile, UnknownPeriod
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import indicators as service
from suanli.services.accounts import principal_of
from suanli.services.organisations import create_organisation

FILE = (Path(__file__).resolve().parents[3] / "examples" / "indicators" / "chengdu-ai.yaml").read_text(encoding="utf-8")


def _people(sessions: sessionmaker[Session]) -> tuple[Principal, Principal]:
    with unit_of_work(sessions) as s:
        bureau = create_organisation(s, name="bureau", name_zh="市经信局", type=OrganisationType.GOVERNMENT, city="成都")
        firm = create_organisation(s, name="firm", name_zh="企业", type=OrganisationType.ENTERPRISE, city="成都")
        rows = [UserRow(username=u, display_name=u, password_hash="!", role=r.value, organisation_id=o.id)
                for u, r, o in (("officer", Role.PROGRAM_OFFICER, bureau), ("firm-admin", Role.ORG_ADMIN, firm))]
        s.add_all(rows)
        s.flush()
        return principal_of(rows[0]), principal_of(rows[1])


def _view(views: list[service.IndicatorView], code: str) -> service.IndicatorView:
    return next(v for v in views if v.row.code == code)


def test_figures_against_targets_with_progress_and_year_over_year(sessions: sessionmaker[Session]) -> None:
    officer, _ = _people(sessions)
    with unit_of_work(sessions) as s:
        service.load_demo_indicators(s, actor=officer)
        service.enter_figure(s, actor=officer, code="ai-industry-scale", period="2024", value="912.5", source="统计公报")
    with unit_of_work(sessions) as s:
        scale = _view(service.overview(s), "ai-industry-scale")
        by_year = {y.year: y for y in scale.years}
        assert by_year[2022].value == Decimal(616) and by_year[2024].target == Decimal(900)
        assert by_year[2024].progress == Decimal("1.0139")  # 912.5 / 900
        assert by_year[2025].target == Decimal(1500) and by_year[2025].value is None
        assert _view(service.overview(s), "ai-core-industry-scale").years[-1].target == Decimal(1700)
        users = {y.year: y for y in _view(service.overview(s), "supercomputing-users").years}
        assert users[2023].value == Decimal(1280) and users[2023].yoy == Decimal("0.5006")  # 1280 / 853
        scenarios = {y.year: y for y in _view(service.overview(s), "ai-application-scenarios").years}
        assert (scenarios[2024].value, scenarios[2024].period) == (Decimal(71), "2024Q4")
        assert scenarios[2025].target == Decimal(100)
        assert scale.entries[0].entered_by == "officer" and scale.entries[0].created_at is not None


@pytest.mark.parametrize(("period", "message"), [("2031", "does not exist for indicator ai-industry-scale"),
                                                 ("2024Q2", "reported per year: period 2024Q2 does not exist"),
                                                 ("去年", "is not a year")])
def test_a_figure_for_a_period_that_does_not_exist_is_refused_naming_it(sessions: sessionmaker[Session], period: str,
                                                                        message: str) -> None:
    officer, _ = _people(sessions)
    with unit_of_work(sessions) as s:
        service.load_indicator_file(s, actor=officer, text=FILE)
    with pytest.raises(UnknownPeriod, match=message) as caught, unit_of_work(sessions) as s:
        service.enter_figure(s, actor=officer, code="ai-industry-scale", period=period, value="1")
    assert caught.value.status == 422 and caught.value.extra["period"] == period


def test_an_imported_sheet_with_a_bad_row_writes_nothing_and_names_the_row(sessions: sessionmaker[Session]) -> None:
    officer, firm = _people(sessions)
    with unit_of_work(sessions) as s:
        service.load_indicator_file(s, actor=officer, text=FILE)
    sheet = "指标代码,期间,数值,来源\nai-industry-scale,2023,760,统计\nai-application-scenarios,2025,90,清单\n".encode()
    with pytest.raises(UnknownPeriod, match="row 3: .*per quarter"), unit_of_work(sessions) as s:
        service.import_figures(s, actor=officer, data=sheet, filename="f.csv")
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(IndicatorFigureRow)) == 0
        with pytest.raises(Forbidden):
            service.enter_figure(s, actor=firm, code="ai-industry-scale", period="2023", value="1")
        with pytest.raises(InvalidInput, match="computed by the platform"):
            service.enter_figure(s, actor=officer, code="platform-device-hours", period="2023", value="1")
        good = sheet.replace(b"2025,90", b"2025Q1,90")
        assert len(service.import_figures(s, actor=officer, data=good, filename="f.csv")) == 2


def test_a_malformed_indicator_file_names_the_line_and_field(sessions: sessionmaker[Session]) -> None:
    officer, _ = _people(sessions)
    bad = FILE.replace("targets: {2024: 900, 2025: 1500}", "targets: {2024: 900, 2030: 1500}")
    with pytest.raises(InvalidIndicatorFile, match=r"line 1[0-9]: indicators.0: .*2030 is outside"), unit_of_work(sessions) as s:
        service.load_indicator_file(s, actor=officer, text=bad)


def test_the_export_has_a_row_per_indicator_and_year(sessions: sessionmaker[Session]) -> None:
    officer, _ = _people(sessions)
    with unit_of_work(sessions) as s:
        service.load_demo_indicators(s, actor=officer)
        data = service.export_xlsx(service.overview(s))
    book = load_workbook(io.BytesIO(data))
    rows = list(book["产业指标"].iter_rows(values_only=True))
    assert rows[0][:6] == ("指标代码", "指标", "单位", "年份", "目标值", "实际值")
    assert ("ai-industry-scale", "人工智能产业规模", "亿元", 2022, None, 616) == rows[1][:6]
    assert len(list(book["填报记录"].iter_rows())) == 1 + 6


def test_a_sheet_row_naming_an_unknown_indicator_is_a_422_of_the_file_naming_row_and_code(api) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    assert api.client.put("/api/v1/indicators", json={"text": FILE}, headers=officer).status_code == 200
    sheet = "指标代码,期间,数值,来源\nai-industry-scale,2023,760,统计\nno-such-indicator,2024,1,统计\n".encode()
    response = api.client.post("/api/v1/indicator-figures/import", headers=officer,
                               files={"file": ("f.csv", sheet, "text/csv")})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/invalid-input")
    assert problem["row"] == 3 and problem["indicator"] == "no-such-indicator"
    assert "row 3: unknown indicator 'no-such-indicator'" in problem["detail"] and "第3行" in problem["detail"]
    with unit_of_work(api.sessions) as s:  # the good row before it was not kept either
        assert s.scalar(select(func.count()).select_from(IndicatorFigureRow)) == 0
