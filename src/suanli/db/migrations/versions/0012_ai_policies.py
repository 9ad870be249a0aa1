"""AI policies (issue 17): the opportunity list (机会清单), industry indicators (产业指标) and incentive
awards (政策兑现) with the organisation profile (一企一档)

Revision ID: 0012
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('award_items',
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('title_zh', sa.String(length=500), nullable=False),
    sa.Column('title_en', sa.String(length=500), nullable=False),
    sa.Column('family', sa.String(length=63), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('loaded_by', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_items')),
    sa.UniqueConstraint('code', name=op.f('uq_award_items_code'))
    )
    op.create_table('indicators',
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('unit_zh', sa.String(length=32), nullable=False),
    sa.Column('unit_en', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('platform_metric', sa.String(length=63), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('code', name=op.f('uq_indicators_code'))
    )
    op.create_table('award_applications',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=190), nullable=False),
    sa.Column('once_key', sa.String(length=190), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('place', sa.Integer(), nullable=True),
    sa.Column('places', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('place IS NULL OR (place >= 1 AND place <= places)', name=op.f('ck_award_applications_place_within_places')),
    sa.ForeignKeyConstraint(['item_id'], ['award_items.id'], name=op.f('fk_award_applications_item_id_award_items')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_applications_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_applications')),
    sa.UniqueConstraint('item_id', 'organisation_id', 'once_key', name=op.f('uq_award_applications_item_id_organisation_id_once_key')),
    sa.UniqueConstraint('item_id', 'place', name=op.f('uq_award_applications_item_id_place'))
    )
    op.create_index(op.f('ix_award_applications_item_id'), 'award_applications', ['item_id'], unique=False)
    op.create_index(op.f('ix_award_applications_organisation_id'), 'award_applications', ['organisation_id'], unique=False)
    op.create_table('indicator_figures',
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Numeric(precision=24, scale=4), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_figures_indicator_id_indicators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_figures'))
    )
    op.create_index(op.f('ix_indicator_figures_indicator_id'), 'indicator_figures', ['indicator_id'], unique=False)
    op.create_table('indicator_targets',
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=24, scale=4), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_targets_indicator_id_indicators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_targets')),
    sa.UniqueConstraint('indicator_id', 'year', name=op.f('uq_indicator_targets_indicator_id_year'))
    )
    op.create_index(op.f('ix_indicator_targets_indicator_id'), 'indicator_targets', ['indicator_id'], unique=False)
    op.create_table('opportunity_batches',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issuer_organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('prepared_by', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_organisation_id'], ['organisations.id'], name=op.f('fk_opportunity_batches_issuer_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_batches'))
    )
    op.create_index(op.f('ix_opportunity_batches_issuer_organisation_id'), 'opportunity_batches', ['issuer_organisation_id'], unique=False)
    op.create_table('organisation_profile_facts',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_profile_facts_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_profile_facts')),
    sa.UniqueConstraint('organisation_id', 'key', name=op.f('uq_organisation_profile_facts_organisation_id_key'))
    )
    op.create_index(op.f('ix_organisation_profile_facts_organisation_id'), 'organisation_profile_facts', ['organisation_id'], unique=False)
    op.create_table('award_benefits',
    sa.Column('basis', sa.String(length=190), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['award_applications.id'], name=op.f('fk_award_benefits_application_id_award_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_benefits')),
    sa.UniqueConstraint('basis', name=op.f('uq_award_benefits_basis'))
    )
    op.create_index(op.f('ix_award_benefits_application_id'), 'award_benefits', ['application_id'], unique=False)
    op.create_table('opportunities',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('track', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('issuer_organisation_id', sa.Integer(), nullable=True),
    sa.Column('region', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('indicators', sa.Text(), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('contact_name', sa.Text(), nullable=False),
    sa.Column('contact_phone', sa.Text(), nullable=False),
    sa.Column('contact_email', sa.Text(), nullable=False),
    sa.Column('compute_devices', sa.Integer(), nullable=True),
    sa.Column('compute_hours', sa.Float(), nullable=True),
    sa.Column('compute_models', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['opportunity_batches.id'], name=op.f('fk_opportunities_batch_id_opportunity_batches')),
    sa.ForeignKeyConstraint(['issuer_organisation_id'], ['organisations.id'], name=op.f('fk_opportunities_issuer_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunities')),
    sa.UniqueConstraint('code', name=op.f('uq_opportunities_code'))
    )
    op.create_index(op.f('ix_opportunities_batch_id'), 'opportunities', ['batch_id'], unique=False)
    op.create_index(op.f('ix_opportunities_issuer_organisation_id'), 'opportunities', ['issuer_organisation_id'], unique=False)
    op.create_index(op.f('ix_opportunities_track'), 'opportunities', ['track'], unique=False)
    op.create_table('opportunity_evaluations',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('matches', sa.Integer(), nullable=False),
    sa.Column('deals', sa.Integer(), nullable=False),
    sa.Column('evaluated_by', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_evaluations_opportunity_id_opportunities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_evaluations')),
    sa.UniqueConstraint('opportunity_id', name=op.f('uq_opportunity_evaluations_opportunity_id'))
    )
    op.create_table('opportunity_matches',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('requester_organisation_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_matches_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['requester_organisation_id'], ['organisations.id'], name=op.f('fk_opportunity_matches_requester_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_matches')),
    sa.UniqueConstraint('opportunity_id', 'requester_organisation_id', name=op.f('uq_opportunity_matches_opportunity_id_requester_organisation_id'))
    )
    op.create_index(op.f('ix_opportunity_matches_opportunity_id'), 'opportunity_matches', ['opportunity_id'], unique=False)
    op.create_index(op.f('ix_opportunity_matches_requester_organisation_id'), 'opportunity_matches', ['requester_organisation_id'], unique=False)
    op.create_table('opportunity_terms',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_terms_opportunity_id_opportunities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('opportunity_id', 'term', name=op.f('pk_opportunity_terms'))
    )
    op.create_index(op.f('ix_opportunity_terms_term'), 'opportunity_terms', ['term'], unique=False)
    op.create_table('opportunity_match_events',
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['match_id'], ['opportunity_matches.id'], name=op.f('fk_opportunity_match_events_match_id_opportunity_matches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_match_events'))
    )
    op.create_index(op.f('ix_opportunity_match_events_match_id'), 'opportunity_match_events', ['match_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_opportunity_match_events_match_id'), table_name='opportunity_match_events')
    op.drop_table('opportunity_match_events')
    op.drop_index(op.f('ix_opportunity_terms_term'), table_name='opportunity_terms')
    op.drop_table('opportunity_terms')
    op.drop_index(op.f('ix_opportunity_matches_requester_organisation_id'), table_name='opportunity_matches')
    op.drop_index(op.f('ix_opportunity_matches_opportunity_id'), table_name='opportunity_matches')
    op.drop_table('opportunity_matches')
    op.drop_table('opportunity_evaluations')
    op.drop_index(op.f('ix_opportunities_track'), table_name='opportunities')
    op.drop_index(op.f('ix_opportunities_issuer_organisation_id'), table_name='opportunities')
    op.drop_index(op.f('ix_opportunities_batch_id'), table_name='opportunities')
    op.drop_table('opportunities')
    op.drop_index(op.f('ix_award_benefits_application_id'), table_name='award_benefits')
    op.drop_table('award_benefits')
    op.drop_index(op.f('ix_organisation_profile_facts_organisation_id'), table_name='organisation_profile_facts')
    op.drop_table('organisation_profile_facts')
    op.drop_index(op.f('ix_opportunity_batches_issuer_organisation_id'), table_name='opportunity_batches')
    op.drop_table('opportunity_batches')
    op.drop_index(op.f('ix_indicator_targets_indicator_id'), table_name='indicator_targets')
    op.drop_table('indicator_targets')
    op.drop_index(op.f('ix_indicator_figures_indicator_id'), table_name='indicator_figures')
    op.drop_table('indicator_figures')
    op.drop_index(op.f('ix_award_applications_organisation_id'), table_name='award_applications')
    op.drop_index(op.f('ix_award_applications_item_id'), table_name='award_applications')
    op.drop_table('award_applications')
    op.drop_table('indicators')
    op.drop_table('award_items')
