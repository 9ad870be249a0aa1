"""search indexes: the operator's all-tenant lists at a year of a city's data

Measured on PostgreSQL with 1.2 million jobs and 4.4 million log entries (`bench/bench_scale.py`'s
loader): the log sorted by kind took 0.9 s (only a single-column kind index, so a sort), the list of
kinds for the filter 1.4 s (a DISTINCT over every entry; now a skip scan over the kind index, see
`repositories/lists.audit_kinds`), a search of the log 7.7 s (ILIKE over every subject; now an entry's
number or a subject exactly, served by an index), a rare word in the jobs search 3.5 s (ILIKE over every
name and command; now trigram GIN indexes, PostgreSQL's pg_trgm, which also index Chinese text), and
the jobs of one state 48 ms (no index that filters by state and pages by id).

pg_trgm ships with PostgreSQL and is a trusted extension (a database owner may create it); where it
cannot be created the trigram indexes are left out and the search still works, by a scan.

Revision ID: 0026
Revises: 0022
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0022"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)
TRIGRAM = [("ix_jobs_name_trgm", "name"), ("ix_jobs_command_trgm", "command")]


def upgrade() -> None:
    op.create_index("ix_audit_events_kind_seq", "audit_events", ["kind", "seq"])
    op.drop_index("ix_audit_events_kind", table_name="audit_events")
    op.create_index("ix_jobs_state_id", "jobs", ["state", "id"])
    op.drop_index("ix_jobs_state", table_name="jobs")
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])
    if op.get_bind().dialect.name == "postgresql" and _trigrams_available():
        for name, column in TRIGRAM:
            op.create_index(name, "jobs", [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def _trigrams_available() -> bool:
    connection = op.get_bind()
    savepoint = connection.begin_nested()  # a refused CREATE EXTENSION must not abort the migration
    try:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as err:
        savepoint.rollback()
        log.warning("pg_trgm is not available (%s): the jobs search scans instead of using an index", err.orig)
        return False
    savepoint.commit()
    return True


def downgrade() -> None:
    for name, _column in reversed(TRIGRAM):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.drop_index("ix_jobs_state_id", table_name="jobs")
    op.create_index("ix_audit_events_kind", "audit_events", ["kind"])
    op.drop_index("ix_audit_events_kind_seq", table_name="audit_events")
