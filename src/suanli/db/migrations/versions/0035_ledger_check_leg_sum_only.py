"""ledger_check_leg checks what only it can: the transfer's legs sum to zero (PostgreSQL)

The deferred per-leg constraint trigger also looked up the leg's account for a balance below zero.
That can never be found at commit: `ck_ledger_accounts_non_negative_balance` refuses such a balance
at the UPDATE that would make it (the balance trigger's, inside the INSERT of the legs), so the
lookup was one more query per leg for nothing, on the hottest path (one request per transaction).

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_SUM = """
    DECLARE total bigint; legs integer;
    BEGIN
        SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, legs
          FROM ledger_legs WHERE transfer_id = NEW.transfer_id;
        IF total <> 0 OR legs < 2 THEN
            RAISE EXCEPTION 'ledger: transfer % has % legs summing to % fen, not zero', NEW.transfer_id, legs, total
                USING ERRCODE = 'check_violation';
        END IF;
"""
_BALANCE = """
        IF EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = NEW.account_id
                     AND a.non_negative AND a.balance_fen * a.normal_sign < 0) THEN
            RAISE EXCEPTION 'ledger: account % would go below zero', NEW.account_id USING ERRCODE = 'check_violation';
        END IF;
"""


def _replace(body: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION ledger_check_leg() RETURNS trigger LANGUAGE plpgsql AS $$"
                   f"{body}        RETURN NULL;\n    END $$")


def upgrade() -> None:
    _replace(_SUM)


def downgrade() -> None:
    _replace(_SUM + _BALANCE)
