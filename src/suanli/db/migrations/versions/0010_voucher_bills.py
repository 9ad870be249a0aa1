"""voucher bills: one claim per bill, wallets carry their side, contracts as records

- `voucher_wallets.side`: the side a wallet was granted on (existing wallets: demand); a claim's side
  comes from here, never from the request.
- `voucher_redemptions.claim_key` becomes the bill itself (no side prefix), so its unique index holds
  one claim per usage record or contract across every program and both sides. Existing rows: the first
  redemption of each bill takes the bare bill; a later one on the same bill (the old per-side keys
  allowed it) keeps its old key, so the upgrade never fails on history.
- `voucher_contracts`: contracts declared by the buyer, confirmed by the provider (number normalised
  per provider; `bill` unique once confirmed).

Revision ID: 0010
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("voucher_wallets", sa.Column("side", sa.String(length=16), nullable=False, server_default="demand"))
    op.execute("UPDATE voucher_redemptions SET claim_key = basis WHERE id IN "
               "(SELECT MIN(id) FROM voucher_redemptions GROUP BY basis)")
    op.create_table(
        "voucher_contracts",
        sa.Column("provider_organisation_id", sa.Integer(), nullable=False),
        sa.Column("buyer_organisation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("number_key", sa.String(length=120), nullable=False),
        sa.Column("bill", sa.String(length=190), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("through_platform", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("declared_by", sa.Integer(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("payment_confirmed_by", sa.Integer(), nullable=True),
        sa.Column("receipt", sa.JSON(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_voucher_contracts_positive")),
        sa.CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name=op.f("ck_voucher_contracts_paid_within_amount")),
        sa.ForeignKeyConstraint(["buyer_organisation_id"], ["organisations.id"],
                                name=op.f("fk_voucher_contracts_buyer_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["provider_organisation_id"], ["organisations.id"],
                                name=op.f("fk_voucher_contracts_provider_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["declared_by"], ["users.id"], name=op.f("fk_voucher_contracts_declared_by_users")),
        sa.ForeignKeyConstraint(["confirmed_by"], ["users.id"], name=op.f("fk_voucher_contracts_confirmed_by_users")),
        sa.ForeignKeyConstraint(["payment_confirmed_by"], ["users.id"],
                                name=op.f("fk_voucher_contracts_payment_confirmed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_contracts")),
        sa.UniqueConstraint("bill", name=op.f("uq_voucher_contracts_bill")),
        sa.UniqueConstraint("provider_organisation_id", "buyer_organisation_id", "number_key",
                            name=op.f("uq_voucher_contracts_number")),
    )
    op.create_index(op.f("ix_voucher_contracts_buyer_organisation_id"), "voucher_contracts", ["buyer_organisation_id"])
    op.create_index(op.f("ix_voucher_contracts_provider_organisation_id"), "voucher_contracts",
                    ["provider_organisation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_voucher_contracts_provider_organisation_id"), table_name="voucher_contracts")
    op.drop_index(op.f("ix_voucher_contracts_buyer_organisation_id"), table_name="voucher_contracts")
    op.drop_table("voucher_contracts")
    op.drop_column("voucher_wallets", "side")
