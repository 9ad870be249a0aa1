"""english names: centers and organisations get an English name of their own

Until now an English page showed a center's or an organisation's handle (`nscc-chengdu`, `zhixing`) where
a name belongs: the handle identifies it in files and APIs and is not a name. Nullable: a center or an
organisation without one is shown by its Chinese name on English pages, never by its handle.

Revision ID: 0030
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0027_audit_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("centers", sa.Column("name_en", sa.String(100), nullable=True))
    op.add_column("organisations", sa.Column("name_en", sa.String(200), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35): a batch copy would drop and recreate these
    # tables, which every foreign key points at, and SQLite refuses that once they hold rows.
    op.drop_column("organisations", "name_en")
    op.drop_column("centers", "name_en")
