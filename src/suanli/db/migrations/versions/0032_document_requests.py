"""document requests: a reviewer asks an applicant for more documents (需补充材料)

The application waits in the new status `needs_documents` (the status column is a free string, no
change there) and the request is kept in its own table: stage, who asked, why, which document types,
the status to go back to, and the applicant's answer. One open request per application.

Revision ID: 0032
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voucher_document_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("voucher_applications.id"), nullable=False),
        sa.Column("stage", sa.String(63), nullable=False),
        sa.Column("requested_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("kinds", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("status_before", sa.String(16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("answer", sa.String(2000), nullable=False),
    )
    op.create_index("ix_voucher_document_requests_application_id", "voucher_document_requests", ["application_id"])
    op.create_index("uq_voucher_document_requests_open", "voucher_document_requests", ["application_id"], unique=True,
                    sqlite_where=sa.text("answered_at IS NULL"), postgresql_where=sa.text("answered_at IS NULL"))


def downgrade() -> None:
    # An application parked for documents goes back to the state it had: the old code knows no other.
    op.execute("UPDATE voucher_applications SET status = (SELECT r.status_before FROM voucher_document_requests r "
               "WHERE r.application_id = voucher_applications.id AND r.answered_at IS NULL) "
               "WHERE status = 'needs_documents'")
    op.drop_index("uq_voucher_document_requests_open", table_name="voucher_document_requests")
    op.drop_index("ix_voucher_document_requests_application_id", table_name="voucher_document_requests")
    op.drop_table("voucher_document_requests")
