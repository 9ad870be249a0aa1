"""Printed documents read back: the demo's invoice, a provider's statement and the batch as PDF (text
extracted with pypdf, the CJK font embedded) and XLSX (cells read with openpyxl), in Chinese with the
totals in yuan; another organisation's document is NotFound; formula cells are neutralised in XLSX
and CSV."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.ledger import DisbursementBatchRow, InvoiceRow, LedgerAccountRow, SettlementStatementRow
from suanli.db.repositories.organisations import user_by_username
from suanli.domain.errors import Forbidden, NotFound
from suanli.domain.money import format_yuan
from suanli.services import accounts
from suanli.services.demo import load_demo
from suanli.services.documents import ledger as documents
from suanli.services.documents.model import Column, Document, Kind
from suanli.services.documents.pdf import CANDIDATES, to_pdf
from suanli.services.documents.sheets import to_csv, to_xlsx


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    session.flush()
    return session


def _who(session: Session, username: str):  # type: ignore[no-untyped-def]
    return accounts.principal_of(user_by_username(session, username))  # type: ignore[arg-type]


def _pdf_text(body: bytes) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                fonts.append(str(font["/BaseFont"]))
    return text, fonts


pytestmark = pytest.mark.skipif(not any(__import__("os").path.exists(p) for p in CANDIDATES),
                                reason="no CJK TrueType font (apt-get install fonts-wqy-microhei)")


def test_an_invoice_prints_as_pdf_with_header_totals_in_yuan_and_an_embedded_chinese_font(demo: Session) -> None:
    invoice = demo.scalars(select(InvoiceRow).order_by(InvoiceRow.id)).first()
    assert invoice is not None and invoice.list_price_fen > 0
    admin = next(u for u in ("zhixing-admin", "yilian-admin", "uestc-admin", "maker-admin", "casit-admin", "rongsuan-admin")
                 if _who(demo, u).organisation_id == invoice.organisation_id)
    doc = documents.invoice_document(demo, principal=_who(demo, admin), invoice_id=invoice.id)
    text, fonts = _pdf_text(to_pdf(doc))
    for words in ("算力服务账单", invoice.number, "开具方", "成都算力调度平台运营中心", "付款单位", "账期",
                  "标价（元）", "算力券抵扣（元）", "应付（元）", "应付金额", format_yuan(invoice.amount_due_fen),
                  format_yuan(invoice.list_price_fen), format_yuan(invoice.subsidy_fen)):
        assert words in text, words
    assert "job " not in text and "pool " not in text  # names, not "job 1, pool 3"
    assert fonts and all("WenQuanYi" in f or "+" in f for f in fonts)  # a subset of the CJK font, embedded


def test_an_invoice_xlsx_has_chinese_columns_and_exact_yuan_totals(demo: Session) -> None:
    invoice = demo.scalars(select(InvoiceRow).order_by(InvoiceRow.id)).first()
    assert invoice is not None
    officer = _who(demo, "operator")  # sees every tenant
    book = load_workbook(io.BytesIO(to_xlsx(documents.invoice_document(demo, principal=officer, invoice_id=invoice.id))))
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:2] == ("算力服务账单", invoice.number)
    head = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert rows[head][:8] == ("序号", "作业", "算力资源", "卡时", "单价（元/卡时）", "标价（元）", "算力券抵扣（元）", "应付（元）")
    lines = [r for r in rows[head + 1:] if isinstance(r[0], int)]
    assert lines and sum(Decimal(str(r[7])) for r in lines) == Decimal(invoice.amount_due_fen) / 100
    totals = {r[0]: r[1] for r in rows if r[0] in ("标价合计", "算力券抵扣合计", "应付金额")}
    assert Decimal(str(totals["应付金额"])) == Decimal(invoice.amount_due_fen) / 100
    assert Decimal(str(totals["标价合计"])) == Decimal(invoice.list_price_fen) / 100


def test_another_organisations_invoice_and_a_strangers_statement_do_not_exist(demo: Session) -> None:
    invoice = demo.scalars(select(InvoiceRow).order_by(InvoiceRow.id)).first()
    assert invoice is not None
    stranger = next(u for u in ("zhixing-admin", "yilian-admin") if _who(demo, u).organisation_id != invoice.organisation_id)
    with pytest.raises(NotFound):
        documents.invoice_document(demo, principal=_who(demo, stranger), invoice_id=invoice.id)
    statement = demo.scalars(select(SettlementStatementRow).order_by(SettlementStatementRow.id)).first()
    assert statement is not None
    with pytest.raises(NotFound):
        documents.statement_document(demo, principal=_who(demo, "zhixing-admin"), statement_id=statement.id)
    with pytest.raises(NotFound):
        documents.batch_document(demo, principal=_who(demo, "zhixing-admin"), batch_id=1)


def test_a_provider_prints_its_statement_and_finance_prints_the_batch(demo: Session) -> None:
    statement = demo.scalars(select(SettlementStatementRow).order_by(SettlementStatementRow.id)).first()
    assert statement is not None
    account = demo.get(LedgerAccountRow, statement.provider_account_id)
    provider = next(u for u in ("nscc", "aicc", "yaan", "dazhou", "tianfu") if _who(demo, u).organisation_id == account.owner_id)  # type: ignore[union-attr]
    text, _fonts = _pdf_text(to_pdf(documents.statement_document(demo, principal=_who(demo, provider), statement_id=statement.id)))
    for words in ("算力服务结算单", statement.number, "收款方", "本期应付", format_yuan(statement.payable_fen),
                  format_yuan(statement.gross_fen)):
        assert words in text, words
    batch = demo.scalars(select(DisbursementBatchRow)).first()
    assert batch is not None
    text, _fonts = _pdf_text(to_pdf(documents.batch_document(demo, principal=_who(demo, "finance"), batch_id=batch.id)))
    for words in ("算力券拨付批次", batch.number, "待审批", "本批拨付合计", format_yuan(batch.total_fen)):
        assert words in text, words


def test_cells_that_read_as_formulas_are_neutralised_in_xlsx_and_csv() -> None:
    evil = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", " =1"]
    doc = Document("测试", "T-1", [("付款单位", "=cmd|' /C calc'!A0")], [Column("作业"), Column("金额", Kind.YUAN)],
                   [[e, 100] for e in evil], [("合计", 600)])
    sheet = load_workbook(io.BytesIO(to_xlsx(doc))).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]  # type: ignore[union-attr]
    risky = [c for c in cells if c.value.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t")]
    assert not risky, [c.value for c in risky]
    assert all(c.data_type == "s" for c in cells)
    assert any(c.value == "'=HYPERLINK(\"http://x\",\"点我\")" for c in cells)
    csv_text = to_csv(doc).decode("utf-8-sig")
    for e in evil:
        assert f"'{e}" in csv_text or f"\"'{e}" in csv_text.replace('""', '"')
    assert "\n=" not in csv_text and ",=" not in csv_text


def test_the_disclosure_list_prints_every_grant_with_the_issuer_and_the_total(demo: Session) -> None:
    from suanli.db.models.vouchers import VoucherGrantRow, VoucherProgramRow
    from suanli.services.documents.disclosure import disclosure_document

    program = demo.scalars(select(VoucherProgramRow).order_by(VoucherProgramRow.id)).first()
    assert program is not None
    grants = demo.scalars(select(VoucherGrantRow).where(VoucherGrantRow.program_id == program.id)).all()
    assert grants
    doc = disclosure_document(demo, principal=_who(demo, "officer"), program_id=program.id)
    text, fonts = _pdf_text(to_pdf(doc))
    assert fonts
    for words in ("核定名单公示", "成都市经济和信息化局", "核定金额合计", format_yuan(sum(g.amount_fen for g in grants)),
                  "成都城市交通大模型"):
        assert words in text, words
    with pytest.raises(Forbidden):  # the desk's printed list is for the office roles
        disclosure_document(demo, principal=_who(demo, "zhixing-admin"), program_id=program.id)
