"""Indicator definitions from the indicator file, and the bureau's figures per period: one typed in, or
a sheet of them (指标代码, 期间, 数值, 来源) imported all or nothing, naming the row of the first error."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from suanli.db.models.indicators import IndicatorFigureRow, IndicatorRow, IndicatorTargetRow
from suanli.db.repositories import indicators as repo
from suanli.domain.errors import Forbidden, InvalidInput, NotFound, SuanliError
from suanli.domain.indicators import parse_indicator_file, parse_period
from suanli.domain.organisations import Principal, Role
from suanli.domain.sheets import read_sheet
from suanli.services.audit import record_event

OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
SHEET_HEADERS = ("指标代码", "期间", "数值", "来源")
MAX_SHEET_ROWS = 10_000  # years of monthly figures for every indicator of the file
MAX_SHEET_BYTES = 5 * 1024 * 1024
MAX_SOURCE_CHARS = 2000


def _officer(actor: Principal) -> None:
    if actor.role not in OFFICERS:
        raise Forbidden("only the bureau's officers maintain industry indicators")


def load_indicator_file(session: Session, *, actor: Principal, text: str) -> list[IndicatorRow]:
    """Create or update every indicator of the file with its targets (targets not in the file are kept)."""
    _officer(actor)
    rows = []
    for d in parse_indicator_file(text):
        row = repo.by_code(session, d.code)
        if row is None:
            row = IndicatorRow(code=d.code, created_by=actor.username)
            session.add(row)
        row.name_zh, row.name_en, row.unit_zh, row.unit_en = d.name_zh, d.name_en, d.unit_zh, d.unit_en
        row.period, row.first_year, row.last_year, row.source = d.period, d.first_year, d.last_year, d.source
        row.platform_metric, row.public = d.platform_metric, d.public
        session.flush()
        existing = {t.year: t for t in repo.targets(session, row.id)}
        for year, value in d.targets.items():
            target = existing.get(year) or IndicatorTargetRow(indicator_id=row.id, year=year)
            target.value, target.source = value, d.source
            session.add(target)
        rows.append(row)
    session.flush()
    record_event(session, kind="indicator.file_loaded", subject="indicators",
                 payload={"codes": [r.code for r in rows], "by": actor.username})
    return rows


def _value(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"{where}: the value {text!r} is not a number / {where}：数值 {text!r} 不是数字",
                           field="value") from None
    # The bound by exponent first: abs() of 1e999999999999 overflows the decimal context (a 500 before).
    if (not value.is_finite() or (value != 0 and value.adjusted() >= 20)
            or value != value.quantize(Decimal("0.0001"))):
        raise InvalidInput(f"{where}: the value {text!r} must be a number with at most 4 decimals / {where}：数值 "
                           f"{text!r} 须为最多4位小数的数字", field="value")
    return value


def enter_figure(session: Session, *, actor: Principal, code: str, period: str, value: str | Decimal,
                 source: str = "") -> IndicatorFigureRow:
    _officer(actor)
    row = repo.by_code(session, code)
    if row is None:
        raise NotFound(f"indicator {code} not found", indicator=code)
    if row.platform_metric:
        raise InvalidInput(f"indicator {code} is computed by the platform from its records, not entered")
    parsed = parse_period(period, kind=row.period, first_year=row.first_year, last_year=row.last_year, indicator=code)
    amount = _value(str(value), f"indicator {code}, period {parsed}")
    if len(source) > MAX_SOURCE_CHARS:  # refused, not cut: a figure's source is kept as the officer gave it
        raise InvalidInput(f"the source has {len(source)} characters; at most {MAX_SOURCE_CHARS} / 来源有{len(source)}个字符，"
                           f"最多{MAX_SOURCE_CHARS}个", field="source")
    figure = IndicatorFigureRow(indicator_id=row.id, period=str(parsed), value=amount, source=source,
                                entered_by=actor.username)
    session.add(figure)
    session.flush()
    record_event(session, kind="indicator.figure_entered", subject=f"indicator/{code}",
                 payload={"period": str(parsed), "value": str(amount), "source": figure.source, "by": actor.username})
    return figure


def import_figures(session: Session, *, actor: Principal, data: bytes, filename: str) -> list[IndicatorFigureRow]:
    _officer(actor)
    sheet = read_sheet(data, filename, columns=len(SHEET_HEADERS), max_rows=MAX_SHEET_ROWS, max_bytes=MAX_SHEET_BYTES)
    if sheet.header != SHEET_HEADERS:
        raise InvalidInput(f"the first row must be the headers {'、'.join(SHEET_HEADERS)}")
    out = []
    seen: dict[tuple[str, str], int] = {}
    with session.begin_nested():  # all or nothing: the first bad row leaves no figure behind
        for number, cells in sheet.rows:
            try:
                figure = enter_figure(session, actor=actor, code=cells[0], period=cells[1], value=cells[2],
                                      source=cells[3])
            except NotFound:
                # Absent from the database, but the fault is the file's: a cell naming no indicator.
                raise InvalidInput(_on_row(number, f"unknown indicator {cells[0]!r} / 未知的指标代码 {cells[0]!r}"),
                                   row=number, field=SHEET_HEADERS[0], indicator=cells[0]) from None
            except SuanliError as exc:
                raise type(exc)(_on_row(number, exc.detail), row=number, **exc.extra) from None
            first = seen.setdefault((cells[0], figure.period), number)
            if first != number:  # two figures for one period in one sheet: which one the bureau means is unknown
                raise InvalidInput(_on_row(number, f"indicator {cells[0]}, period {figure.period} repeats row {first} "
                                                   f"/ 指标 {cells[0]} 期间 {figure.period} 与第{first}行重复"),
                                   row=number, field=SHEET_HEADERS[1], duplicate_of=first)
            out.append(figure)
    return out


def _on_row(number: int, detail: str) -> str:
    """Prefix the row to a message, to both halves of an "english / 中文" one."""
    parts = detail.split(" / ")
    if len(parts) == 2:
        return f"row {number}: {parts[0]} / 第{number}行：{parts[1]}"
    return f"row {number}: {detail}"
