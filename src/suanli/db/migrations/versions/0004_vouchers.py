"""vouchers (issue 6): programs, applications, reviews, grants, wallets, reservations, redemptions,
clawbacks, disclosures

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voucher_programs',
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=500), nullable=False),
    sa.Column('title_en', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('side_mode', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('granted_fen', sa.BigInteger(), nullable=False),
    sa.Column('returned_fen', sa.BigInteger(), nullable=False),
    sa.Column('clawed_back_fen', sa.BigInteger(), nullable=False),
    sa.Column('budget_account_id', sa.Integer(), nullable=True),
    sa.Column('loaded_by', sa.Integer(), nullable=True),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('granted_fen <= budget_fen + returned_fen + clawed_back_fen', name=op.f('ck_voucher_programs_within_budget')),
    sa.CheckConstraint('granted_fen >= 0 AND returned_fen >= 0 AND clawed_back_fen >= 0', name=op.f('ck_voucher_programs_non_negative')),
    sa.ForeignKeyConstraint(['loaded_by'], ['users.id'], name=op.f('fk_voucher_programs_loaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_programs')),
    sa.UniqueConstraint('code', name=op.f('uq_voucher_programs_code'))
    )
    op.create_table('voucher_applications',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('applicant_user_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('project', sa.String(length=500), nullable=False),
    sa.Column('project_class', sa.String(length=63), nullable=True),
    sa.Column('sector', sa.String(length=63), nullable=True),
    sa.Column('requested_fen', sa.BigInteger(), nullable=False),
    sa.Column('scale_pflops_fp16', sa.String(length=32), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('requested_fen > 0', name=op.f('ck_voucher_applications_positive')),
    sa.ForeignKeyConstraint(['applicant_user_id'], ['users.id'], name=op.f('fk_voucher_applications_applicant_user_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_voucher_applications_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['voucher_programs.id'], name=op.f('fk_voucher_applications_program_id_voucher_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_applications'))
    )
    op.create_index(op.f('ix_voucher_applications_organisation_id'), 'voucher_applications', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_voucher_applications_program_id'), 'voucher_applications', ['program_id'], unique=False)
    op.create_table('voucher_disclosures',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('rows_hash', sa.String(length=64), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['voucher_programs.id'], name=op.f('fk_voucher_disclosures_program_id_voucher_programs')),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], name=op.f('fk_voucher_disclosures_published_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_disclosures'))
    )
    op.create_index(op.f('ix_voucher_disclosures_program_id'), 'voucher_disclosures', ['program_id'], unique=False)
    op.create_table('voucher_wallets',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('project_class', sa.String(length=63), nullable=True),
    sa.Column('granted_fen', sa.BigInteger(), nullable=False),
    sa.Column('reserved_fen', sa.BigInteger(), nullable=False),
    sa.Column('redeemed_fen', sa.BigInteger(), nullable=False),
    sa.Column('returned_fen', sa.BigInteger(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ledger_account_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('reserved_fen + redeemed_fen + returned_fen <= granted_fen', name=op.f('ck_voucher_wallets_within_grant')),
    sa.CheckConstraint('reserved_fen >= 0 AND redeemed_fen >= 0 AND returned_fen >= 0', name=op.f('ck_voucher_wallets_non_negative')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_voucher_wallets_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['voucher_programs.id'], name=op.f('fk_voucher_wallets_program_id_voucher_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_wallets')),
    sa.UniqueConstraint('program_id', 'organisation_id', name=op.f('uq_voucher_wallets_program_id_organisation_id'))
    )
    op.create_index(op.f('ix_voucher_wallets_organisation_id'), 'voucher_wallets', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_voucher_wallets_program_id'), 'voucher_wallets', ['program_id'], unique=False)
    op.create_table('voucher_grants',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('wallet_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_voucher_grants_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['voucher_applications.id'], name=op.f('fk_voucher_grants_application_id_voucher_applications')),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_voucher_grants_approved_by_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_voucher_grants_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['voucher_programs.id'], name=op.f('fk_voucher_grants_program_id_voucher_programs')),
    sa.ForeignKeyConstraint(['wallet_id'], ['voucher_wallets.id'], name=op.f('fk_voucher_grants_wallet_id_voucher_wallets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_grants')),
    sa.UniqueConstraint('application_id', name=op.f('uq_voucher_grants_application_id'))
    )
    op.create_index(op.f('ix_voucher_grants_organisation_id'), 'voucher_grants', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_voucher_grants_program_id'), 'voucher_grants', ['program_id'], unique=False)
    op.create_index(op.f('ix_voucher_grants_wallet_id'), 'voucher_grants', ['wallet_id'], unique=False)
    op.create_table('voucher_reservations',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('wallet_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('hold_transfer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_voucher_reservations_non_negative')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_voucher_reservations_job_id_jobs')),
    sa.ForeignKeyConstraint(['wallet_id'], ['voucher_wallets.id'], name=op.f('fk_voucher_reservations_wallet_id_voucher_wallets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_reservations')),
    sa.UniqueConstraint('job_id', name=op.f('uq_voucher_reservations_job_id'))
    )
    op.create_index(op.f('ix_voucher_reservations_wallet_id'), 'voucher_reservations', ['wallet_id'], unique=False)
    op.create_table('voucher_reviews',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=63), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('approve', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['voucher_applications.id'], name=op.f('fk_voucher_reviews_application_id_voucher_applications')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voucher_reviews_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_reviews')),
    sa.UniqueConstraint('application_id', 'stage', name=op.f('uq_voucher_reviews_application_id_stage'))
    )
    op.create_index(op.f('ix_voucher_reviews_application_id'), 'voucher_reviews', ['application_id'], unique=False)
    op.create_table('voucher_redemptions',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('wallet_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('usage_record_id', sa.Integer(), nullable=True),
    sa.Column('claim_key', sa.String(length=200), nullable=False),
    sa.Column('basis', sa.String(length=190), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=63), nullable=False),
    sa.Column('order_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_voucher_redemptions_positive')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_voucher_redemptions_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['voucher_programs.id'], name=op.f('fk_voucher_redemptions_program_id_voucher_programs')),
    sa.ForeignKeyConstraint(['usage_record_id'], ['usage_records.id'], name=op.f('fk_voucher_redemptions_usage_record_id_usage_records')),
    sa.ForeignKeyConstraint(['wallet_id'], ['voucher_wallets.id'], name=op.f('fk_voucher_redemptions_wallet_id_voucher_wallets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_redemptions')),
    sa.UniqueConstraint('claim_key', name=op.f('uq_voucher_redemptions_claim_key')),
    sa.UniqueConstraint('usage_record_id', name=op.f('uq_voucher_redemptions_usage_record_id'))
    )
    op.create_index(op.f('ix_voucher_redemptions_basis'), 'voucher_redemptions', ['basis'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_organisation_id'), 'voucher_redemptions', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_program_id'), 'voucher_redemptions', ['program_id'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_wallet_id'), 'voucher_redemptions', ['wallet_id'], unique=False)
    op.create_table('voucher_clawbacks',
    sa.Column('redemption_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['redemption_id'], ['voucher_redemptions.id'], name=op.f('fk_voucher_clawbacks_redemption_id_voucher_redemptions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voucher_clawbacks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_clawbacks')),
    sa.UniqueConstraint('redemption_id', name=op.f('uq_voucher_clawbacks_redemption_id'))
    )


def downgrade() -> None:
    op.drop_table('voucher_clawbacks')
    op.drop_table('voucher_redemptions')
    op.drop_table('voucher_reviews')
    op.drop_table('voucher_reservations')
    op.drop_table('voucher_grants')
    op.drop_table('voucher_wallets')
    op.drop_table('voucher_disclosures')
    op.drop_table('voucher_applications')
    op.drop_table('voucher_programs')
