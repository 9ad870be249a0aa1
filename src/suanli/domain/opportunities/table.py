"""The bureau's column layout of the opportunity list, read from and written to XLSX or CSV.

Headers are the Chinese ones the bureau's sheet uses; a row that repeats another's 编号 (or its name and
issuer) is refused naming both rows, and a bad cell names its row and column, so nothing is written from
a broken sheet. Cells that a spreadsheet would run as a formula are prefixed with `'` on export and the
prefix is taken off again on import, so a round trip keeps every field (a phone number like +86… too).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, Inexact, InvalidOperation, Underflow, localcontext

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from suanli.domain.opportunities.items import (
    ComputeNeed,
    DuplicateOpportunity,
    ItemKind,
    OpportunityDraft,
    OpportunityError,
    Track,
)
from suanli.domain.sheets import read_sheet

KIND_ZH = {ItemKind.SUPPLY: "供给", ItemKind.DEMAND: "需求"}
TRACK_ZH = {Track.COMPUTE: "算力", Track.DATASETS: "数据集与语料", Track.HARDWARE: "基础硬件", Track.MODELS: "模型",
            Track.DEVICES: "智能终端", Track.APPLICATIONS: "应用"}

# (field, header) in the bureau's order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "清单编号"),
    ("kind", "类型"),
    ("track", "领域"),
    ("title", "名称"),
    ("issuer", "发布单位"),
    ("region", "所属区域"),
    ("scenario", "应用场景"),
    ("description", "内容简介"),
    ("indicators", "技术指标或需求"),
    ("budget", "预算（万元）"),
    ("deadline", "截止日期"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("contact_email", "电子邮箱"),
    ("compute_devices", "算力需求：卡数"),
    ("compute_hours", "算力需求：时长（小时）"),
    ("compute_models", "算力需求：型号"),
)
HEADERS = tuple(h for _, h in COLUMNS)
REQUIRED = ("code", "kind", "track", "title", "issuer", "region", "scenario")
FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen
MAX_BUDGET_FEN = 10**15  # OpportunityDraft's bound
MAX_ROWS = 5000
MAX_SHEET_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 64  # the 17 columns in any order, with room for the bureau's own notes


def _neutralise(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "'") else value


def _restore(value: str) -> str:
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "'") else value


def _wan(fen: int | None) -> str:
    if fen is None:
        return ""
    text = format(Decimal(fen) / FEN_PER_WAN, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_row(draft: OpportunityDraft) -> list[str]:
    need = draft.compute
    values = {
        "code": draft.code, "kind": KIND_ZH[draft.kind], "track": TRACK_ZH[draft.track], "title": draft.title,
        "issuer": draft.issuer, "region": draft.region, "scenario": draft.scenario, "description": draft.description,
        "indicators": draft.indicators, "budget": _wan(draft.budget_fen),
        "deadline": draft.deadline.isoformat() if draft.deadline else "",
        "contact_name": draft.contact_name, "contact_phone": draft.contact_phone, "contact_email": draft.contact_email,
        "compute_devices": str(need.devices) if need else "", "compute_hours": _number(need.hours) if need else "",
        "compute_models": "|".join(need.models) if need else "",
    }
    return [_neutralise(values[key]) for key, _ in COLUMNS]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def to_csv(drafts: Iterable[OpportunityDraft]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for draft in drafts:
        writer.writerow(to_row(draft))
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(drafts: Iterable[OpportunityDraft]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "机会清单"
    sheet.append(list(HEADERS))
    for draft in drafts:
        sheet.append(to_row(draft))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # text, never a formula, even if a reader drops the ' prefix
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_table(data: bytes, filename: str) -> list[OpportunityDraft]:
    """Parse an uploaded sheet (`.xlsx` or `.csv` by name) into drafts; the first error raises."""
    sheet = read_sheet(data, filename, columns=MAX_COLUMNS, max_rows=MAX_ROWS, max_bytes=MAX_SHEET_BYTES,
                       error=OpportunityError)
    if not any(sheet.header):
        raise OpportunityError("the sheet is empty: the first row must be the headers")
    missing = [h for h in HEADERS if h not in sheet.header]
    if missing:
        raise OpportunityError(f"missing columns: {'、'.join(missing)}")
    index = {field: sheet.header.index(h) for field, h in COLUMNS}
    drafts: list[OpportunityDraft] = []
    seen: dict[str, int] = {}
    for number, raw in sheet.rows:
        cells = {f: _restore(raw[i]) for f, i in index.items()}
        draft = _draft(cells, number)
        for key, what in ((f"code:{draft.code}", f"清单编号 {draft.code}"),
                          (f"name:{draft.title}\x00{draft.issuer}", f"名称和发布单位 {draft.title}/{draft.issuer}")):
            first = seen.get(key)
            if first is not None:
                raise DuplicateOpportunity(f"row {number} repeats row {first} ({what}) / 第{number}行与第{first}行重复（{what}）",
                                           row=number,
                                           duplicate_of=first)
            seen[key] = number
        drafts.append(draft)
    return drafts


def _budget_fen(text: str, fail: Callable[[str], OpportunityError]) -> int:
    """万元 as written in the cell, as fen; a number past the bound is refused by its exponent before any
    arithmetic (1e999999999999 would overflow the decimal context), sub-fen by a trapped inexact product."""
    try:
        wan = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise fail(f"{text!r} is not a number of 万元") from None
    if not wan.is_finite() or wan < 0 or (wan != 0 and wan.adjusted() > 9):
        raise fail(f"{text!r} is not between 0 and {_wan(MAX_BUDGET_FEN)} 万元")
    try:
        with localcontext() as exact:
            exact.traps[Inexact] = exact.traps[Underflow] = True
            value = wan * FEN_PER_WAN
    except ArithmeticError:
        raise fail(f"{text!r} is not a whole number of fen") from None
    if value > MAX_BUDGET_FEN:
        raise fail(f"{text!r} is not between 0 and {_wan(MAX_BUDGET_FEN)} 万元")
    if value != value.to_integral_value():
        raise fail(f"{text!r} is not a whole number of fen")
    return int(value)


def _draft(cells: dict[str, str], number: int) -> OpportunityDraft:
    def fail(field: str, message: str) -> OpportunityError:
        header = dict(COLUMNS)[field]
        return OpportunityError(f"row {number}, column {header}: {message}", row=number, column=header)

    for field in REQUIRED:
        if not cells[field]:
            raise fail(field, "must not be empty")
    kinds = {v: k for k, v in KIND_ZH.items()} | {k.value: k for k in ItemKind}
    tracks = {v: k for k, v in TRACK_ZH.items()} | {k.value: k for k in Track}
    if cells["kind"] not in kinds:
        raise fail("kind", f"{cells['kind']!r} is not 供给 or 需求")
    if cells["track"] not in tracks:
        raise fail("track", f"{cells['track']!r} is not one of {'、'.join(TRACK_ZH.values())}")
    budget = None
    if cells["budget"]:
        budget = _budget_fen(cells["budget"], lambda message: fail("budget", message))
    deadline = None
    if cells["deadline"]:
        try:
            deadline = date.fromisoformat(cells["deadline"][:10])
        except ValueError:
            raise fail("deadline", f"{cells['deadline']!r} is not a date (YYYY-MM-DD)") from None
    compute = None
    if cells["compute_devices"] or cells["compute_hours"]:
        try:
            compute = ComputeNeed(devices=int(cells["compute_devices"]), hours=float(cells["compute_hours"]),
                                  models=tuple(m.strip() for m in cells["compute_models"].split("|") if m.strip()))
        except ValueError:
            raise fail("compute_devices", "devices and hours must both be numbers") from None
        except OpportunityError as exc:
            raise fail("compute_devices", exc.detail) from None
    try:
        return OpportunityDraft(
            code=cells["code"], kind=kinds[cells["kind"]], track=tracks[cells["track"]], title=cells["title"],
            issuer=cells["issuer"], region=cells["region"], scenario=cells["scenario"],
            description=cells["description"], indicators=cells["indicators"], budget_fen=budget, deadline=deadline,
            contact_name=cells["contact_name"], contact_phone=cells["contact_phone"],
            contact_email=cells["contact_email"], compute=compute)
    except OpportunityError as exc:
        raise OpportunityError(f"row {number}: {exc.detail}", row=number) from None
