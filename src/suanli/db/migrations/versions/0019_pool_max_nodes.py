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


def upgrade() -> None:
    with op.batch_alter_table("pools") as batch:
        batch.add_column(sa.Column("max_nodes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pools") as batch:
        batch.drop_column("max_nodes")
