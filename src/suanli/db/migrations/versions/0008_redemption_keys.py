"""redemption idempotency keys: a contract claim (POST /api/v1/redemptions) carries an Idempotency-Key

Adds `voucher_redemptions.idempotency_key` (the client's key, NULL for redemptions at metering) and
`voucher_redemptions.request_hash` (SHA-256 of the canonical claim), with a unique index on
(organisation_id, idempotency_key), so a retried claim answers the original redemption and a different
claim under the same key is a 409. Existing rows keep NULL keys (NULLs never collide in a unique index
on either database). Plain ADD COLUMN and CREATE INDEX: no table copy on SQLite, so the clawbacks that
point at redemptions are never in the way.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEX = "ix_voucher_redemptions_idempotency_key"


def upgrade() -> None:
    op.add_column("voucher_redemptions", sa.Column("idempotency_key", sa.String(length=200), nullable=True))
    op.add_column("voucher_redemptions", sa.Column("request_hash", sa.String(length=64), nullable=True))
    op.create_index(INDEX, "voucher_redemptions", ["organisation_id", "idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="voucher_redemptions")
    op.drop_column("voucher_redemptions", "request_hash")  # SQLite 3.35+ drops a column in place
    op.drop_column("voucher_redemptions", "idempotency_key")
