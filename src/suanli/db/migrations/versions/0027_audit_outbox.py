"""audit outbox: business transactions append their log events to an insert-only outbox; one
sequencer moves them into the transparency log in batches (issue 15, "money writes without a global
lock"). `audit_events.outbox_id` is unique so no outbox row is sequenced twice.

Revision ID: 0027_audit_outbox
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_audit_outbox"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
        sqlite_autoincrement=True,  # ids are never reused, even once the sequencer emptied the table
    )
    op.add_column("audit_events", sa.Column("outbox_id", sa.BigInteger(), nullable=True))
    op.create_index("ux_audit_events_outbox_id", "audit_events", ["outbox_id"], unique=True)


def downgrade() -> None:
    # Events still waiting in the outbox would be lost: refuse rather than drop them silently.
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_outbox")).scalar()
    if pending:
        raise RuntimeError(f"{pending} audit events wait in the outbox; run the sequencer before downgrading")
    op.drop_index("ux_audit_events_outbox_id", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("outbox_id")
    op.drop_table("audit_outbox")
