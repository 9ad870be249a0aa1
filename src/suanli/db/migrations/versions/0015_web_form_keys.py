"""web form keys: one-time keys of the web UI's forms (post/redirect/get without double filing)

Adds `web_form_keys` (key primary key, the user who posted, the page the first submission was sent
to, when). A form's write and its key commit together; a second post with the same key hits the
primary key and is redirected to the first submission's page instead of filing again.

Revision ID: 0015
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_form_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_form_keys_user_id_users"),
        sa.PrimaryKeyConstraint("key", name="pk_web_form_keys"),
    )
    op.create_index("ix_web_form_keys_user_id", "web_form_keys", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_web_form_keys_user_id", table_name="web_form_keys")
    op.drop_table("web_form_keys")
