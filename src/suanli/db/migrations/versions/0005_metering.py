"""metering and backends (issue 4): no schema change.

Metering needed nothing beyond the core's usage_records (unique per center, backend job id, step);
the revision was reserved while the capability was built and stays so the chain is stable for
databases already at 0005 or later.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
