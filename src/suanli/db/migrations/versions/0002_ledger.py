"""ledger (issue 5): accounts, transfers, legs, idempotency keys

Tables for the double-entry ledger, billing, invoices, settlement and disbursement batches, plus the
database half of the ledger's invariants (see `docs/ledger.md`):

- both databases: CHECK constraints (CNY only, non-zero legs, non-negative balances where required),
  a trigger keeping each account's cached balance equal to the sum of its legs, append-only legs and
  transfers (no UPDATE/DELETE of legs, no DELETE of transfers), closed periods refuse transfers;
- PostgreSQL: a DEFERRABLE INITIALLY DEFERRED constraint trigger checking at commit that each
  transfer's legs sum to zero and every touched account that must stay non-negative does; balances
  may change only from inside the leg trigger;
- SQLite (no deferred triggers): a transfer is checked when it is sealed, and a sealed transfer
  takes no more legs; `repositories.ledger.check_consistency` finds anything else.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disbursement_batches',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'approved', 'paid')", name=op.f('ck_disbursement_batches_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement_batches')),
    sa.UniqueConstraint('number', name=op.f('uq_disbursement_batches_number'))
    )
    op.create_table('ledger_accounts',
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('owner_kind', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('normal_sign', sa.SmallInteger(), nullable=False),
    sa.Column('non_negative', sa.Boolean(), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("currency = 'CNY'", name=op.f('ck_ledger_accounts_cny_only')),
    sa.CheckConstraint('NOT non_negative OR balance_fen * normal_sign >= 0', name=op.f('ck_ledger_accounts_non_negative_balance')),
    sa.CheckConstraint('normal_sign IN (-1, 1)', name=op.f('ck_ledger_accounts_normal_sign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_ledger_accounts_code'))
    )
    op.create_index('ix_ledger_accounts_owner', 'ledger_accounts', ['owner_kind', 'owner_id'], unique=False)
    op.create_table('ledger_periods',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_periods')),
    sa.UniqueConstraint('month', name=op.f('uq_ledger_periods_month'))
    )
    op.create_table('invoices',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('list_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_due_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('list_price_fen = subsidy_fen + amount_due_fen', name=op.f('ck_invoices_totals_add_up')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_invoices_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number')),
    sa.UniqueConstraint('organisation_id', 'month', name=op.f('uq_invoices_organisation_id_month'))
    )
    op.create_table('ledger_transfers',
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('memo', sa.String(length=500), nullable=False),
    sa.Column('source_kind', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('debit_account_id', sa.Integer(), nullable=True),
    sa.Column('credit_account_id', sa.Integer(), nullable=True),
    sa.Column('clearing_account_id', sa.Integer(), nullable=True),
    sa.Column('posted_fen', sa.BigInteger(), nullable=False),
    sa.Column('released_fen', sa.BigInteger(), nullable=False),
    sa.Column('sealed', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("currency = 'CNY'", name=op.f('ck_ledger_transfers_cny_only')),
    sa.CheckConstraint("status IN ('pending', 'posted', 'voided', 'reversed')", name=op.f('ck_ledger_transfers_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_ledger_transfers_amount_positive')),
    sa.CheckConstraint('posted_fen >= 0 AND released_fen >= 0 AND posted_fen + released_fen <= amount_fen', name=op.f('ck_ledger_transfers_hold_progress')),
    sa.ForeignKeyConstraint(['clearing_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_clearing_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_credit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_debit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['parent_id'], ['ledger_transfers.id'], name=op.f('fk_ledger_transfers_parent_id_ledger_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transfers')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_ledger_transfers_idempotency_key'))
    )
    op.create_index(op.f('ix_ledger_transfers_parent_id'), 'ledger_transfers', ['parent_id'], unique=False)
    op.create_index(op.f('ix_ledger_transfers_period'), 'ledger_transfers', ['period'], unique=False)
    op.create_index('ix_ledger_transfers_source', 'ledger_transfers', ['source_kind', 'source_id'], unique=False)
    op.create_table('settlement_statements',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('provider_account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('charges', sa.Integer(), nullable=False),
    sa.Column('gross_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('from_reserve_fen', sa.BigInteger(), nullable=False),
    sa.Column('payable_fen', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('gross_fen = fee_fen + from_reserve_fen + payable_fen', name=op.f('ck_settlement_statements_adds_up')),
    sa.ForeignKeyConstraint(['batch_id'], ['disbursement_batches.id'], name=op.f('fk_settlement_statements_batch_id_disbursement_batches')),
    sa.ForeignKeyConstraint(['provider_account_id'], ['ledger_accounts.id'], name=op.f('fk_settlement_statements_provider_account_id_ledger_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_statements')),
    sa.UniqueConstraint('number', name=op.f('uq_settlement_statements_number')),
    sa.UniqueConstraint('provider_account_id', 'month', name=op.f('uq_settlement_statements_provider_account_id_month'))
    )
    op.create_index(op.f('ix_settlement_statements_batch_id'), 'settlement_statements', ['batch_id'], unique=False)
    op.create_table('ledger_legs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_ledger_legs_non_zero')),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_legs_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['transfer_id'], ['ledger_transfers.id'], name=op.f('fk_ledger_legs_transfer_id_ledger_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_legs')),
    sa.UniqueConstraint('transfer_id', 'account_id', name=op.f('uq_ledger_legs_transfer_id_account_id'))
    )
    op.create_index('ix_ledger_legs_account', 'ledger_legs', ['account_id', 'amount_fen'], unique=False)
    op.create_table('ledger_charges',
    sa.Column('usage_record_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('provider_account_id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('device_seconds', sa.BigInteger(), nullable=False),
    sa.Column('price_fen_per_device_hour', sa.BigInteger(), nullable=False),
    sa.Column('list_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_due_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('from_reserve_fen', sa.BigInteger(), nullable=False),
    sa.Column('reserve_account_id', sa.Integer(), nullable=True),
    sa.Column('program', sa.String(length=100), nullable=True),
    sa.Column('subsidy_reasons', sa.String(length=1000), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('from_reserve_fen <= subsidy_fen', name=op.f('ck_ledger_charges_reserve_within_subsidy')),
    sa.CheckConstraint('list_price_fen = subsidy_fen + amount_due_fen', name=op.f('ck_ledger_charges_split_adds_up')),
    sa.CheckConstraint('subsidy_fen >= 0 AND amount_due_fen >= 0 AND from_reserve_fen >= 0 AND fee_fen >= 0', name=op.f('ck_ledger_charges_non_negative')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_ledger_charges_job_id_jobs')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_ledger_charges_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_ledger_charges_pool_id_pools')),
    sa.ForeignKeyConstraint(['provider_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_charges_provider_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['reserve_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_charges_reserve_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['usage_record_id'], ['usage_records.id'], name=op.f('fk_ledger_charges_usage_record_id_usage_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_charges')),
    sa.UniqueConstraint('usage_record_id', name=op.f('uq_ledger_charges_usage_record_id'))
    )
    op.create_index(op.f('ix_ledger_charges_job_id'), 'ledger_charges', ['job_id'], unique=False)
    op.create_index(op.f('ix_ledger_charges_month'), 'ledger_charges', ['month'], unique=False)
    op.create_index(op.f('ix_ledger_charges_organisation_id'), 'ledger_charges', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_ledger_charges_provider_account_id'), 'ledger_charges', ['provider_account_id'], unique=False)
    op.create_table('invoice_lines',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('charge_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('device_seconds', sa.BigInteger(), nullable=False),
    sa.Column('price_fen_per_device_hour', sa.BigInteger(), nullable=False),
    sa.Column('list_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_due_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('list_price_fen = subsidy_fen + amount_due_fen', name=op.f('ck_invoice_lines_line_adds_up')),
    sa.ForeignKeyConstraint(['charge_id'], ['ledger_charges.id'], name=op.f('fk_invoice_lines_charge_id_ledger_charges')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines')),
    sa.UniqueConstraint('charge_id', name=op.f('uq_invoice_lines_charge_id'))
    )
    op.create_index(op.f('ix_invoice_lines_invoice_id'), 'invoice_lines', ['invoice_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


POSTGRES_TRIGGERS = [
    """
    CREATE FUNCTION ledger_apply_leg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_accounts SET balance_fen = balance_fen + NEW.amount_fen WHERE id = NEW.account_id;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER ledger_legs_apply AFTER INSERT ON ledger_legs FOR EACH ROW EXECUTE FUNCTION ledger_apply_leg()",
    """
    CREATE FUNCTION ledger_check_leg() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE total bigint; legs integer;
    BEGIN
        SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, legs
          FROM ledger_legs WHERE transfer_id = NEW.transfer_id;
        IF total <> 0 OR legs < 2 THEN
            RAISE EXCEPTION 'ledger: transfer % has % legs summing to % fen, not zero', NEW.transfer_id, legs, total
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = NEW.account_id
                     AND a.non_negative AND a.balance_fen * a.normal_sign < 0) THEN
            RAISE EXCEPTION 'ledger: account % would go below zero', NEW.account_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_legs_balanced AFTER INSERT ON ledger_legs
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_leg()
    """,
    """
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ledger: % on % is not allowed; post a reversal instead', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$
    """,
    ("CREATE TRIGGER ledger_legs_append_only BEFORE UPDATE OR DELETE ON ledger_legs "
     "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"),
    ("CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers "
     "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"),
    """
    CREATE FUNCTION ledger_guard_balance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- The cached balance moves only from inside ledger_apply_leg (trigger depth 2).
        IF NEW.balance_fen IS DISTINCT FROM OLD.balance_fen AND pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'ledger: balances change only by posting legs' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.normal_sign <> OLD.normal_sign OR NEW.non_negative <> OLD.non_negative THEN
            RAISE EXCEPTION 'ledger: an account''s type and rules are fixed' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    ("CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts "
     "FOR EACH ROW EXECUTE FUNCTION ledger_guard_balance()"),
    """
    CREATE FUNCTION ledger_check_period() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM ledger_periods p WHERE p.month = NEW.period AND p.closed) THEN
            RAISE EXCEPTION 'ledger: period % is closed', NEW.period USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    ("CREATE TRIGGER ledger_transfers_open_period BEFORE INSERT ON ledger_transfers "
     "FOR EACH ROW EXECUTE FUNCTION ledger_check_period()"),
]

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER ledger_legs_apply AFTER INSERT ON ledger_legs BEGIN
        UPDATE ledger_accounts SET balance_fen = balance_fen + NEW.amount_fen WHERE id = NEW.account_id;
    END
    """,
    """
    CREATE TRIGGER ledger_legs_sealed BEFORE INSERT ON ledger_legs
    WHEN (SELECT sealed FROM ledger_transfers WHERE id = NEW.transfer_id) BEGIN
        SELECT RAISE(ABORT, 'ledger: transfer is sealed; it takes no more legs');
    END
    """,
    """
    CREATE TRIGGER ledger_transfers_seal BEFORE UPDATE OF sealed ON ledger_transfers
    WHEN NEW.sealed AND NOT OLD.sealed AND (
        (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_legs WHERE transfer_id = NEW.id) <> 0
        OR (SELECT COUNT(*) FROM ledger_legs WHERE transfer_id = NEW.id) < 2) BEGIN
        SELECT RAISE(ABORT, 'ledger: transfer legs do not sum to zero');
    END
    """,
    """
    CREATE TRIGGER ledger_transfers_stay_sealed BEFORE UPDATE OF sealed ON ledger_transfers
    WHEN OLD.sealed AND NOT NEW.sealed BEGIN
        SELECT RAISE(ABORT, 'ledger: a sealed transfer stays sealed');
    END
    """,
    """
    CREATE TRIGGER ledger_legs_no_update BEFORE UPDATE ON ledger_legs BEGIN
        SELECT RAISE(ABORT, 'ledger: UPDATE on ledger_legs is not allowed; post a reversal instead');
    END
    """,
    """
    CREATE TRIGGER ledger_legs_no_delete BEFORE DELETE ON ledger_legs BEGIN
        SELECT RAISE(ABORT, 'ledger: DELETE on ledger_legs is not allowed; post a reversal instead');
    END
    """,
    """
    CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers BEGIN
        SELECT RAISE(ABORT, 'ledger: DELETE on ledger_transfers is not allowed; post a reversal instead');
    END
    """,
    """
    CREATE TRIGGER ledger_transfers_open_period BEFORE INSERT ON ledger_transfers
    WHEN EXISTS (SELECT 1 FROM ledger_periods p WHERE p.month = NEW.period AND p.closed) BEGIN
        SELECT RAISE(ABORT, 'ledger: period is closed');
    END
    """,
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in ("ledger_apply_leg", "ledger_check_leg", "ledger_refuse_change", "ledger_guard_balance",
                         "ledger_check_period"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}() CASCADE")
    for table in ("invoice_lines", "invoices", "settlement_statements", "disbursement_batches", "ledger_charges",
                  "ledger_legs", "ledger_transfers", "ledger_periods", "ledger_accounts"):
        op.drop_table(table)
