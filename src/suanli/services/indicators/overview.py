"""What the indicator pages show: per indicator and year, the target, the figure (the bureau's newest
entry for the period, or for a quarterly indicator its latest quarter; or the platform's own figure
computed from its records), progress against target and year-over-year change; and the XLSX export."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from suanli import EXAMPLES
from suanli.db.models.base import utcnow
from suanli.db.models.indicators import IndicatorFigureRow, IndicatorRow
from suanli.db.repositories import indicators as repo
from suanli.domain.exports import neutralise_row
from suanli.domain.indicators import progress_share, year_over_year
from suanli.domain.organisations import Principal
from suanli.services.indicators.figures import enter_figure, load_indicator_file

EXAMPLE = EXAMPLES / "indicators" / "chengdu-ai.yaml"


@dataclass(frozen=True)
class YearFigure:
    year: int
    target: Decimal | None
    value: Decimal | None
    progress: Decimal | None
    yoy: Decimal | None
    period: str | None = None  # the period the value comes from ("2025Q3" for a quarterly indicator)


@dataclass(frozen=True)
class IndicatorView:
    row: IndicatorRow
    years: list[YearFigure]
    entries: list[IndicatorFigureRow] = field(default_factory=list)  # every entry, newest first


def _bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def platform_value(session: Session, metric: str, year: int, *, now: datetime | None = None,
                   cache: dict[int, tuple[int, int, int]] | None = None) -> Decimal | None:
    """The platform's own figure for a year, from usage records, pools and voucher redemptions
    (`cache` keeps one year's usage totals across the metrics of one overview)."""
    now = now or utcnow()
    start, end = _bounds(year)
    if start > now:
        return None
    cache = {} if cache is None else cache
    if year not in cache:
        cache[year] = repo.usage_between(session, start, end)
    orgs, cities, seconds = cache[year]
    if metric == "organisations_served":
        return Decimal(orgs)
    if metric == "cities_served":
        return Decimal(cities)
    if metric == "device_hours":
        return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
    if metric == "utilisation":
        devices = repo.total_devices(session)
        elapsed = (min(end, now) - start).total_seconds()
        if devices == 0 or elapsed <= 0:
            return None
        return (Decimal(seconds) * 100 / (Decimal(devices) * Decimal(elapsed))).quantize(Decimal("0.01"))
    if metric == "subsidies_paid_yuan":
        return (Decimal(repo.subsidies_between(session, start, end)) / 100).quantize(Decimal("0.01"))
    raise ValueError(f"unknown platform metric {metric}")


def overview(session: Session, *, public_only: bool = True, now: datetime | None = None) -> list[IndicatorView]:
    views = []
    usage: dict[int, tuple[int, int, int]] = {}
    for row in repo.list_indicators(session, public_only=public_only):
        targets = {t.year: t.value for t in repo.targets(session, row.id)}
        entries = list(repo.figures(session, row.id))
        latest: dict[str, IndicatorFigureRow] = {}
        for entry in entries:
            latest[entry.period] = entry
        years, previous = [], None
        for year in range(row.first_year, row.last_year + 1):
            period: str | None
            if row.platform_metric:
                value, period = platform_value(session, row.platform_metric, year, now=now, cache=usage), str(year)
            else:
                mine = sorted(p for p in latest if p[:4] == str(year))
                period = mine[-1] if mine else None
                value = latest[period].value if period else None
            years.append(YearFigure(year, targets.get(year), value, progress_share(value, targets.get(year)),
                                    year_over_year(value, previous), period if value is not None else None))
            previous = value
        views.append(IndicatorView(row, years, list(reversed(entries))))
    return views


def export_xlsx(views: list[IndicatorView]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "产业指标"
    sheet.append(["指标代码", "指标", "单位", "年份", "目标值", "实际值", "期间", "完成率", "同比", "来源"])
    for view in views:
        for y in view.years:
            sheet.append(neutralise_row([view.row.code, view.row.name_zh, view.row.unit_zh, y.year, _num(y.target), _num(y.value),
                          y.period or "", _num(y.progress), _num(y.yoy), view.row.source]))
    entries = book.create_sheet("填报记录")
    entries.append(["指标代码", "期间", "数值", "来源", "填报人", "填报时间"])
    for view in views:
        for e in reversed(view.entries):
            entries.append(neutralise_row([view.row.code, e.period, _num(e.value), e.source, e.entered_by,
                                           e.created_at.strftime("%Y-%m-%d %H:%M")]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _num(value: Decimal | None) -> float | None:
    # A spreadsheet cell holds a double; the exact value stays in the database and the page.
    return None if value is None else float(value)


DEMO_FIGURES = [
    ("ai-industry-scale", "2022", "616", "成都市人工智能产业统计（2022年）"),
    ("ai-application-scenarios", "2023Q4", "42", "市经信局场景清单"),
    ("ai-application-scenarios", "2024Q4", "71", "市经信局场景清单"),
    ("supercomputing-users", "2022", "853", "国家超级计算成都中心年度报告（按2023年同比增长50%推算）"),
    ("supercomputing-users", "2023", "1280", "国家超级计算成都中心年度报告"),
    ("supercomputing-cities", "2023", "45", "国家超级计算成都中心年度报告"),
]


def load_demo_indicators(session: Session, *, actor: Principal) -> None:
    load_indicator_file(session, actor=actor, text=EXAMPLE.read_text(encoding="utf-8"))
    for code, period, value, source in DEMO_FIGURES:
        enter_figure(session, actor=actor, code=code, period=period, value=value, source=source)
