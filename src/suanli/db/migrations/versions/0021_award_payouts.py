"""award payouts: decided awards paid through the finance disbursement batches and disclosed (公示)

Adds `award_payouts` (what a decided award owes each party, on the party's claimant payable until the
disbursement batch that takes it is paid) and `award_disclosures` (published 公示 lists of an award
item with their hash).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "award_payouts",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payee_account_id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('owed', 'paid')", name=op.f("ck_award_payouts_status")),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_award_payouts_amount_positive")),
        sa.ForeignKeyConstraint(["application_id"], ["award_applications.id"],
                                name=op.f("fk_award_payouts_application_id_award_applications")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_award_payouts_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["batch_id"], ["disbursement_batches.id"],
                                name=op.f("fk_award_payouts_batch_id_disbursement_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_payouts")),
        sa.UniqueConstraint("application_id", "party", name=op.f("uq_award_payouts_application_id_party")),
    )
    op.create_index(op.f("ix_award_payouts_application_id"), "award_payouts", ["application_id"], unique=False)
    op.create_index(op.f("ix_award_payouts_organisation_id"), "award_payouts", ["organisation_id"], unique=False)
    op.create_index(op.f("ix_award_payouts_batch_id"), "award_payouts", ["batch_id"], unique=False)
    op.create_table(
        "award_disclosures",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("rows_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["award_items.id"], name=op.f("fk_award_disclosures_item_id_award_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_disclosures")),
    )
    op.create_index(op.f("ix_award_disclosures_item_id"), "award_disclosures", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_award_disclosures_item_id"), table_name="award_disclosures")
    op.drop_table("award_disclosures")
    op.drop_index(op.f("ix_award_payouts_batch_id"), table_name="award_payouts")
    op.drop_index(op.f("ix_award_payouts_organisation_id"), table_name="award_payouts")
    op.drop_index(op.f("ix_award_payouts_application_id"), table_name="award_payouts")
    op.drop_table("award_payouts")
