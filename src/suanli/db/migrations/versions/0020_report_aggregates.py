"""report aggregates: the dashboard's sums kept by the worker instead of recomputed per request

Adds `report_usage_daily` (device-seconds per center, ecosystem and start day) and `report_served`
(organisations and users that ever submitted a job), filled from the existing usage records and jobs
here and kept by the writes they sum from now on (metering, job submission).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_usage_daily",
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("device_seconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("center_id", "ecosystem", "day", name="pk_report_usage_daily"),
    )
    op.create_table(
        "report_served",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "member_id", name="pk_report_served"),
    )
    _backfill(op.get_bind())


def _backfill(bind: sa.Connection) -> None:
    """Sum what is already there (in Python: day bucketing stays portable across the two databases)."""
    daily: dict[tuple[int, str, object], int] = {}
    usage = bind.execute(sa.text(
        "SELECT u.center_id, p.ecosystem, u.started_at, u.device_seconds FROM usage_records u "
        "JOIN pools p ON p.id = u.pool_id"))
    for center_id, ecosystem, started_at, seconds in usage:
        day = _utc(started_at).date()
        daily[(center_id, ecosystem, day)] = daily.get((center_id, ecosystem, day), 0) + int(seconds)
    table = sa.table("report_usage_daily", sa.column("center_id"), sa.column("ecosystem"), sa.column("day"),
                     sa.column("device_seconds"))
    rows = [{"center_id": c, "ecosystem": e, "day": d, "device_seconds": s} for (c, e, d), s in daily.items()]
    if rows:
        bind.execute(table.insert(), rows)
    bind.execute(sa.text("INSERT INTO report_served (kind, member_id) SELECT DISTINCT 'organisation', "
                         "organisation_id FROM jobs"))
    bind.execute(sa.text("INSERT INTO report_served (kind, member_id) SELECT DISTINCT 'user', user_id FROM jobs"))


def _utc(value: object) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back its text; PostgreSQL a session-zone time)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def downgrade() -> None:
    op.drop_table("report_served")
    op.drop_table("report_usage_daily")
