"""pool max_nodes: how many nodes one job may span on a pool (NULL: all the pool's nodes)

Set from the federation file's `max_nodes`; a center that keeps every job on one node says 1, and a
job asking more nodes than that is refused at submission (422) and never placed there.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite >= 3.35 drops columns itself): a batch copy of `pools`
# would DROP the table, which other tables' foreign keys refuse while foreign_keys is on.
def upgrade() -> None:
    op.add_column("pools", sa.Column("max_nodes", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("pools", "max_nodes")
