"""list indexes: composite indexes that match each list's filter and its keyset order

A member's job list filters by user (an organisation's by organisation, optionally by state) and
pages newest first by id; the log pages an organisation's events by seq; the dashboard sums usage by
period. Each gets one index that serves the filter and the order together, instead of PostgreSQL
combining two single-column indexes and sorting (190 ms at a city's year of jobs, a 39 MB sort
spilled to disk at deep pages), and usage gets its missing `started_at` index.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_jobs_organisation_id_id", "jobs", ["organisation_id", "id"]),
    ("ix_jobs_organisation_id_state_id", "jobs", ["organisation_id", "state", "id"]),
    ("ix_jobs_user_id_id", "jobs", ["user_id", "id"]),
    ("ix_audit_events_organisation_id_seq", "audit_events", ["organisation_id", "seq"]),
    ("ix_usage_records_started_at", "usage_records", ["started_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
