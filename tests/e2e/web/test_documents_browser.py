"""Documents downloaded in the browser (Chromium) and read back: an invoice as PDF (text with pypdf)
and as XLSX (cells with openpyxl), from the links on the invoices page; the finance officer's batch PDF."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select
from webui import Server, shot, sign_in

from suanli.db.models.ledger import DisbursementBatchRow, InvoiceRow
from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.money import format_yuan

pytestmark = pytest.mark.browser


def _invoice_and_admin(server: Server) -> tuple[int, str, str, int, int]:
    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        invoice = s.scalars(select(InvoiceRow).order_by(InvoiceRow.id)).first()
        assert invoice is not None
        admin = s.scalar(select(UserRow.username).where(UserRow.organisation_id == invoice.organisation_id,
                                                        UserRow.role == "org_admin"))
        return invoice.id, str(admin), invoice.number, invoice.amount_due_fen, invoice.list_price_fen


def test_an_invoice_downloads_as_pdf_and_xlsx_that_read_back_in_chinese(page: Page, server: Server, tmp_path: Path) -> None:
    invoice_id, admin, number, due, listed = _invoice_and_admin(server)
    sign_in(page, server, admin)
    page.goto("/invoices")
    shot(page, "invoices-zh")
    with page.expect_download() as pdf:
        page.click(f"[data-testid=invoice-pdf-{invoice_id}]")
    assert pdf.value.suggested_filename == f"{number}.pdf"
    pdf.value.save_as(tmp_path / "invoice.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "invoice.pdf").pages)
    for words in ("算力服务账单", number, "成都算力调度平台运营中心", "账期", "应付金额", format_yuan(due), format_yuan(listed)):
        assert words in text, words

    with page.expect_download() as xlsx:
        page.click(f"[data-testid=invoice-xlsx-{invoice_id}]")
    xlsx.value.save_as(tmp_path / "invoice.xlsx")
    rows = list(load_workbook(tmp_path / "invoice.xlsx").active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:2] == ("算力服务账单", number)
    assert any(r[:3] == ("序号", "作业", "算力资源") for r in rows)
    totals = {r[0]: r[1] for r in rows if r and r[0] == "应付金额"}
    assert Decimal(str(totals["应付金额"])) == Decimal(due) / 100


def test_the_finance_officer_downloads_the_batch_as_pdf(page: Page, server: Server) -> None:
    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        batch = s.scalars(select(DisbursementBatchRow).order_by(DisbursementBatchRow.id)).first()
        assert batch is not None
        batch_id, number, total = batch.id, batch.number, batch.total_fen
    sign_in(page, server, "finance")
    page.goto("/batches")
    expect(page.locator(f"[data-testid=batch-pdf-{batch_id}]")).to_be_visible()
    with page.expect_download() as pdf:
        page.click(f"[data-testid=batch-pdf-{batch_id}]")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(pdf.value.path()).read_bytes())).pages)
    assert "算力券拨付批次" in text and number in text and format_yuan(total) in text
