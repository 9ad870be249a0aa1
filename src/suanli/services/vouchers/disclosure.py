"""The disclosure list (公示) of a program's grants; publishing records its hash in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.vouchers import VoucherDisclosureRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import disclosure as disclosure_format
from suanli.services.vouchers.common import placed_event
from suanli.services.vouchers.programs import program_row


def disclosure(session: Session, *, program_id: int, actor: Principal | None = None, publish: bool = False,
               ) -> list[dict[str, Any]]:
    """The disclosure list (公示); when published (program officers only), its hash is recorded and audited."""
    if publish and (actor is None or actor.role not in (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)):
        raise Forbidden("only a program officer publishes a disclosure list")
    row = program_row(session, program_id)
    rows = [disclosure_format.disclosure_row(
        program=row.code, organisation=org.name, organisation_zh=org.name_zh, project=app.project,
        amount_fen=int(grant.amount_fen), granted_on=grant.created_at.date().isoformat(),
        expires_on=grant.expires_on.isoformat()) for grant, org, app in repo.disclosure_rows(session, row.id)]
    if publish and actor is not None:
        digest = disclosure_format.rows_hash(rows)
        receipt = placed_event(session, "voucher.disclosure_published", f"voucher_program:{row.id}",
                         {"rows": len(rows), "sha256": digest})
        repo.add(session, VoucherDisclosureRow(program_id=row.id, published_by=actor.user_id, rows=rows,
                                               rows_hash=digest, receipt=receipt))
    return rows
