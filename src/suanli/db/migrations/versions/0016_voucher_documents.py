"""voucher documents: evidence as files, the reviewer's verified scale, claimant payouts in batches

Adds `voucher_documents` (an uploaded document of an application or a contract: kind, file name,
media type, size and the SHA-256 under which the bytes are stored content-addressed in the data
directory); `voucher_reviews.verified_scale_pflops_fp16` (the scale a reviewer verified at a stage
that verifies scale, never the claimant's figure); and `voucher_redemptions.batch_id` (the
disbursement batch that paid a `direct_to_claimant` redemption to its claimant, and
`payee_account_id`, the claimant's payable account it is owed on until then); and
`voucher_grants.funder_split` (a co-funded grant's part per funder).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voucher_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=True),
        sa.CheckConstraint("(application_id IS NULL) <> (contract_id IS NULL)",
                           name=op.f("ck_voucher_documents_one_subject")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_voucher_documents_size")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name="fk_voucher_documents_organisation_id_organisations"),
        sa.ForeignKeyConstraint(["application_id"], ["voucher_applications.id"],
                                name="fk_voucher_documents_application_id_voucher_applications"),
        sa.ForeignKeyConstraint(["contract_id"], ["voucher_contracts.id"],
                                name="fk_voucher_documents_contract_id_voucher_contracts"),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name="fk_voucher_documents_uploaded_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_voucher_documents"),
    )
    op.create_index("ix_voucher_documents_application_id", "voucher_documents", ["application_id"])
    op.create_index("ix_voucher_documents_contract_id", "voucher_documents", ["contract_id"])
    op.create_index("ix_voucher_documents_organisation_id", "voucher_documents", ["organisation_id"])
    with op.batch_alter_table("voucher_reviews") as batch:
        batch.add_column(sa.Column("verified_scale_pflops_fp16", sa.String(length=32), nullable=True))
    with op.batch_alter_table("voucher_grants") as batch:
        batch.add_column(sa.Column("funder_split", sa.JSON(), nullable=True))
    with op.batch_alter_table("voucher_redemptions") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("payee_account_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voucher_redemptions") as batch:
        batch.drop_column("payee_account_id")
        batch.drop_column("batch_id")
    with op.batch_alter_table("voucher_grants") as batch:
        batch.drop_column("funder_split")
    with op.batch_alter_table("voucher_reviews") as batch:
        batch.drop_column("verified_scale_pflops_fp16")
    op.drop_index("ix_voucher_documents_organisation_id", table_name="voucher_documents")
    op.drop_index("ix_voucher_documents_contract_id", table_name="voucher_documents")
    op.drop_index("ix_voucher_documents_application_id", table_name="voucher_documents")
    op.drop_table("voucher_documents")
