"""supplementary invoices and statements: each charge invoiced once and stated once

Until now one invoice per organisation and month and one statement per provider and month were
allowed (unique constraints), and issuing again returned the existing document: every charge metered
after that was in the ledger but on no invoice and no statement. This migration

- drops the per-month unique constraints of `invoices` and `settlement_statements` and adds a
  `sequence` (1 = the month's first document, 2, 3... = supplementary), unique per owner and month;
- adds `ledger_charges.invoice_id` and `ledger_charges.statement_id` (NULL until issued; one column
  each, so a charge cannot be on two documents), and backfills them: `invoice_id` from the invoice
  lines (exact), `statement_id` for each existing statement from the first `charges` charges (by id) of
  its provider and month, which are exactly the charges the statement counted when it was issued.

SQLite: dropping a constraint copies the table (batch mode), and a table cannot be dropped under
foreign keys while rows of another table point at it: the invoice lines step aside into a temporary
table while `invoices` (and, on downgrade, `ledger_charges`) is copied, and come back unchanged, all
in the migration's one transaction.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _invoice_lines_aside() -> Iterator[None]:
    if not _sqlite():
        yield
        return
    op.execute("CREATE TEMP TABLE _suanli_invoice_lines AS SELECT * FROM invoice_lines")
    op.execute("DELETE FROM invoice_lines")
    yield
    op.execute("INSERT INTO invoice_lines SELECT * FROM _suanli_invoice_lines")
    op.execute("DROP TABLE _suanli_invoice_lines")


def _sequence_per_month(table: str, owner: str, *, unique: bool) -> None:
    with op.batch_alter_table(table) as batch:
        if unique:
            batch.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="1"))
            batch.drop_constraint(f"uq_{table}_{owner}_month", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_{owner}_month_sequence", [owner, "month", "sequence"])
        else:
            batch.drop_constraint(f"uq_{table}_{owner}_month_sequence", type_="unique")
            batch.drop_column("sequence")
            batch.create_unique_constraint(f"uq_{table}_{owner}_month", [owner, "month"])


def upgrade() -> None:
    with _invoice_lines_aside():
        _sequence_per_month("invoices", "organisation_id", unique=True)
    _sequence_per_month("settlement_statements", "provider_account_id", unique=True)
    for column, target in (("invoice_id", "invoices"), ("statement_id", "settlement_statements")):
        if _sqlite():  # ADD COLUMN ... REFERENCES is what SQLite can add without copying the table
            op.execute(f"ALTER TABLE ledger_charges ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
        else:
            op.add_column("ledger_charges", sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(f"fk_ledger_charges_{column}_{target}", "ledger_charges", target, [column], ["id"])
        op.create_index(f"ix_ledger_charges_{column}", "ledger_charges", [column])
    _backfill()


def _backfill() -> None:
    """Mark what existing documents already cover, so nothing is invoiced or stated twice after upgrade."""
    op.execute("UPDATE ledger_charges SET invoice_id = (SELECT l.invoice_id FROM invoice_lines l "
               "WHERE l.charge_id = ledger_charges.id)")
    bind = op.get_bind()
    statements = bind.execute(sa.text("SELECT id, provider_account_id, month, charges FROM settlement_statements "
                                      "ORDER BY id")).all()
    for statement in statements:
        ids = bind.execute(sa.text("SELECT id FROM ledger_charges WHERE provider_account_id = :p AND month = :m "
                                   "AND statement_id IS NULL ORDER BY id LIMIT :n"),
                           {"p": statement.provider_account_id, "m": statement.month, "n": statement.charges}).scalars()
        for charge_id in list(ids):
            bind.execute(sa.text("UPDATE ledger_charges SET statement_id = :s WHERE id = :c"),
                         {"s": statement.id, "c": charge_id})


def downgrade() -> None:
    """Refused (by the restored unique constraints) once supplementary documents exist."""
    for column, target in (("statement_id", "settlement_statements"), ("invoice_id", "invoices")):
        op.drop_index(f"ix_ledger_charges_{column}", "ledger_charges")
        if not _sqlite():
            op.drop_constraint(f"fk_ledger_charges_{column}_{target}", "ledger_charges", type_="foreignkey")
            op.drop_column("ledger_charges", column)
    if _sqlite():
        with _invoice_lines_aside(), op.batch_alter_table("ledger_charges", recreate="always") as batch:
            batch.drop_column("statement_id")
            batch.drop_column("invoice_id")
    _sequence_per_month("settlement_statements", "provider_account_id", unique=False)
    with _invoice_lines_aside():
        _sequence_per_month("invoices", "organisation_id", unique=False)
