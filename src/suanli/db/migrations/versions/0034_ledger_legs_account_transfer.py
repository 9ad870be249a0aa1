"""ledger legs by account in transfer order: `(account_id, transfer_id, amount_fen)` replaces `(account_id, amount_fen)`

An account's transfers are listed newest first by transfer id (`GET /api/v1/ledger/transfers?account_id=`).
With legs indexed only on `(account_id, amount_fen)`, PostgreSQL read every leg of the account and sorted
their transfer ids before it could return the first page: a hot wallet of a city's year has ~700,000
legs. The wider index serves that keyset as an index range (`account_id = X AND transfer_id < cursor`,
backwards, stopping after one page) and still serves the sums by account (`sum(amount_fen) WHERE
account_id = X`, the consistency check) as an index-only scan, so it replaces the old one instead of
sitting beside it (one index less to maintain on the ledger's hottest insert).

Revision ID: 0034
Revises: 0032
"""

from __future__ import annotations

from alembic import op

revision = "0034"
down_revision = "0032"
branch_labels = None
depends_on = None

TABLE = "ledger_legs"
OLD = ("ix_ledger_legs_account", ["account_id", "amount_fen"])
NEW = ("ix_ledger_legs_account_transfer", ["account_id", "transfer_id", "amount_fen"])


def upgrade() -> None:
    # The new index first: the sums by account are never without one.
    op.create_index(NEW[0], TABLE, NEW[1])
    op.drop_index(OLD[0], table_name=TABLE)


def downgrade() -> None:
    op.create_index(OLD[0], TABLE, OLD[1])
    op.drop_index(NEW[0], table_name=TABLE)
