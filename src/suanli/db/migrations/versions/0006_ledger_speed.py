"""ledger speed: maintain cached balances once per statement on PostgreSQL

Migration 0002 keeps `ledger_accounts.balance_fen` equal to the sum of an account's legs with a row
trigger: one UPDATE of the account per leg. A redemption batch inserts hundreds of legs on a few hot
accounts (a wallet, its clearing account, a provider's payable) in one statement, and every UPDATE of
the same row in one transaction leaves another row version for the next to step over: measured with
`track_functions`, `ledger_apply_leg` cost ~255 us per redemption in batches of 100, more than the
inserts themselves.

On PostgreSQL this replaces it with a statement-level trigger over the transition table: one UPDATE
per account per INSERT statement, adding the sum of that statement's legs. The invariant is the same
(balances change only from inside the leg trigger: `ledger_guard_balance` still sees trigger depth 2;
the non-negative CHECK still holds after every statement; the deferred `ledger_legs_balanced` still
checks every transfer and account at commit). SQLite has no statement-level triggers and keeps 0002's.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER ledger_legs_apply ON ledger_legs")
    op.execute("""
    CREATE FUNCTION ledger_apply_legs() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_accounts a SET balance_fen = a.balance_fen + s.total
          FROM (SELECT account_id, SUM(amount_fen) AS total FROM new_legs GROUP BY account_id) s
         WHERE a.id = s.account_id;
        RETURN NULL;
    END $$
    """)
    op.execute("CREATE TRIGGER ledger_legs_apply AFTER INSERT ON ledger_legs REFERENCING NEW TABLE AS new_legs "
               "FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_legs()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER ledger_legs_apply ON ledger_legs")
    op.execute("DROP FUNCTION ledger_apply_legs()")
    op.execute("CREATE TRIGGER ledger_legs_apply AFTER INSERT ON ledger_legs FOR EACH ROW "
               "EXECUTE FUNCTION ledger_apply_leg()")
