"""The money documents as a reader may have them: an organisation's invoice (账单), a provider's
settlement statement (结算单) and a disbursement batch (拨付批次), each a `Document` in Chinese with
list price, voucher subsidy and amount to pay in yuan. Another organisation's document does not exist
for the reader (404), as on the pages."""

from __future__ import annotations

import calendar

from sqlalchemy.orm import Session

from suanli.db.repositories import ledger as ledger_repo
from suanli.db.repositories import printed
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import NotFound
from suanli.domain.organisations import Principal, Role
from suanli.services import settlement
from suanli.services.documents.model import Column, Document, Kind
from suanli.services.views.money import get_invoice

PLATFORM = "算力调度平台"
STATEMENT_READERS = (Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER, Role.AUDITOR)
BATCH_READERS = STATEMENT_READERS
BATCH_STATUS = {"draft": "待审批", "approved": "已审批，待拨付", "paid": "已拨付"}


def period(month: str) -> str:
    """"2026-11" -> "2026年11月（2026-11-01 至 2026-11-30）"."""
    year, number = int(month[:4]), int(month[5:7])
    last = calendar.monthrange(year, number)[1]
    return f"{year}年{number}月（{month}-01 至 {month}-{last:02d}）"


def _issuer(session: Session) -> str:
    names = printed.platform_names(session)
    return names[0] if names else PLATFORM


def _place(line: printed.ChargeLine) -> str:
    return f"{line.center_zh} · {line.model}" if line.model else line.center_zh


def invoice_document(session: Session, *, principal: Principal, invoice_id: int) -> Document:
    invoice, _lines = get_invoice(session, principal=principal, invoice_id=invoice_id)
    payer = web_repo.organisation_names(session, [invoice.organisation_id])[invoice.organisation_id]
    lines = printed.charges_on_invoice(session, invoice.id)
    header = [("开具方", _issuer(session)), ("付款单位", payer.name_zh), ("账期", period(invoice.month)),
              ("开具日期", invoice.created_at.strftime("%Y-%m-%d"))]
    if invoice.sequence > 1:
        header.append(("说明", f"本月第 {invoice.sequence} 张（补充账单）"))
    columns = [Column("序号"), Column("作业"), Column("算力资源"), Column("卡时", Kind.HOURS),
               Column("单价（元/卡时）", Kind.YUAN), Column("标价（元）", Kind.YUAN), Column("算力券抵扣（元）", Kind.YUAN),
               Column("应付（元）", Kind.YUAN)]
    rows = [[i, f"{line.job_name}（#{line.charge.job_id}）", _place(line), line.charge.device_seconds,
             line.charge.price_fen_per_device_hour, line.charge.list_price_fen, line.charge.subsidy_fen,
             line.charge.amount_due_fen] for i, line in enumerate(lines, 1)]
    return Document("算力服务账单", invoice.number, header, columns, rows,
                    [("标价合计", invoice.list_price_fen), ("算力券抵扣合计", invoice.subsidy_fen),
                     ("应付金额", invoice.amount_due_fen)],
                    ["金额单位：人民币元。算力券抵扣部分由政策资金向算力服务商结算，付款单位只需支付应付金额。"], "账单明细")


def _statement(session: Session, *, principal: Principal, statement_id: int):  # type: ignore[no-untyped-def]
    try:
        statement = settlement.get_statement(session, statement_id=statement_id) if 0 < statement_id < 2**62 else None
    except NotFound:
        statement = None
    if statement is not None and principal.role not in STATEMENT_READERS:
        account = ledger_repo.get_account(session, statement.provider_account_id)
        if not (principal.role == Role.PROVIDER_ADMIN and account is not None and account.owner_kind == "organisation"
                and account.owner_id == principal.organisation_id):
            statement = None
    if statement is None:
        raise NotFound(f"statement {statement_id} does not exist")
    return statement


def statement_document(session: Session, *, principal: Principal, statement_id: int) -> Document:
    """A provider's statement: for the provider whose account it is, and the platform's office roles."""
    statement = _statement(session, principal=principal, statement_id=statement_id)
    owner = web_repo.account_owners(session, [statement.provider_account_id]).get(statement.provider_account_id, ("", ""))
    batch = ledger_repo.get_batch(session, statement.batch_id) if statement.batch_id else None
    header = [("开具方", _issuer(session)), ("收款方", owner[0]), ("账期", period(statement.month)),
              ("开具日期", statement.created_at.strftime("%Y-%m-%d")), ("拨付批次", batch.number if batch else "未编入批次")]
    columns = [Column("序号"), Column("作业"), Column("算力资源"), Column("卡时", Kind.HOURS), Column("标价（元）", Kind.YUAN),
               Column("算力券补贴（元）", Kind.YUAN), Column("用户应付（元）", Kind.YUAN), Column("平台服务费（元）", Kind.YUAN),
               Column("备用金已付（元）", Kind.YUAN)]
    lines = printed.charges_on_statement(session, statement.id)
    rows = [[i, f"{line.job_name}（#{line.charge.job_id}）", _place(line), line.charge.device_seconds,
             line.charge.list_price_fen, line.charge.subsidy_fen, line.charge.amount_due_fen, line.charge.fee_fen,
             line.charge.from_reserve_fen] for i, line in enumerate(lines, 1)]
    return Document("算力服务结算单", statement.number, header, columns, rows,
                    [("服务总额（标价）", statement.gross_fen), ("其中算力券补贴", statement.subsidy_fen),
                     ("平台服务费", statement.fee_fen), ("备用金已付", statement.from_reserve_fen),
                     ("本期应付", statement.payable_fen)],
                    ["金额单位：人民币元。本期应付 = 服务总额 − 平台服务费 − 备用金已付。"], "结算明细")


def batch_document(session: Session, *, principal: Principal, batch_id: int) -> Document:
    if principal.role not in BATCH_READERS:
        raise NotFound(f"batch {batch_id} does not exist")
    batch = ledger_repo.get_batch(session, batch_id) if 0 < batch_id < 2**62 else None
    if batch is None:
        raise NotFound(f"batch {batch_id} does not exist")
    statements = web_repo.statements_in_batch(session, batch.id)
    owners = web_repo.account_owners(session, [s.provider_account_id for s in statements])
    header = [("开具方", _issuer(session)), ("账期", period(batch.month)), ("状态", BATCH_STATUS.get(batch.status, batch.status)),
              ("制单人", batch.created_by), ("审批人", batch.approved_by or "—"),
              ("拨付时间", batch.paid_at.strftime("%Y-%m-%d %H:%M") if batch.paid_at else "—")]
    columns = [Column("结算单编号"), Column("服务商"), Column("服务总额（元）", Kind.YUAN), Column("算力券补贴（元）", Kind.YUAN),
               Column("平台服务费（元）", Kind.YUAN), Column("备用金已付（元）", Kind.YUAN), Column("本批应付（元）", Kind.YUAN)]
    rows = [[s.number, owners.get(s.provider_account_id, ("", ""))[0], s.gross_fen, s.subsidy_fen, s.fee_fen,
             s.from_reserve_fen, s.payable_fen] for s in statements]
    return Document("算力券拨付批次", batch.number, header, columns, rows, [("本批拨付合计", batch.total_fen)],
                    ["金额单位：人民币元。经办与审批分离：审批人不得为制单人。"], "拨付明细")
