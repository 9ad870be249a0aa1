"""program drafts: program files proposed in the editor, published by a second officer

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "program_drafts",
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["proposed_by"], ["users.id"], name="fk_program_drafts_proposed_by_users"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name="fk_program_drafts_decided_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_program_drafts"),
    )
    op.create_index("ix_program_drafts_code", "program_drafts", ["code"])


def downgrade() -> None:
    op.drop_index("ix_program_drafts_code", table_name="program_drafts")
    op.drop_table("program_drafts")
