"""The disclosure list (公示) of a program as a printed document: issuer (the program's issuing
bureau), the program, every grant (organisation, project, amount in yuan, dates) and the total; for
the office roles that read programs (the same check as the program's page)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.domain.organisations import Principal
from suanli.services import vouchers
from suanli.services.documents.model import Column, Document, Kind
from suanli.services.views.vouchers import get_program


def disclosure_document(session: Session, *, principal: Principal, program_id: int) -> Document:
    row = get_program(session, principal=principal, program_id=program_id)
    program = vouchers.program_of(row)
    rows = vouchers.disclosure(session, program_id=row.id)
    columns = [Column("序号"), Column("单位名称"), Column("项目名称"), Column("核定金额（元）", Kind.YUAN), Column("核定日期"),
               Column("有效期至")]
    lines = [[i, r["organisation_zh"], r["project"], r["amount_fen"], r["granted_on"], r["expires_on"]]
             for i, r in enumerate(rows, 1)]
    header = [("开具方", program.issuer.zh), ("政策", row.title_zh), ("年度", str(program.year)), ("核定笔数", str(len(rows)))]
    return Document(f"{row.title_zh} 核定名单公示", f"公示-{row.code}", header, columns, lines,
                    [("核定金额合计", sum(int(r["amount_fen"]) for r in rows))],
                    ["公示期内如有异议，请向开具方反映。金额单位：人民币元。"], "公示")
