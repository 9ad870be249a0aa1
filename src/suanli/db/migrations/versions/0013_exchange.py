"""exchange (issue 18): the data exchange (数据交易所) - trader roles, products and versions,
content-addressed blobs, review steps, objections during the public notice, certificates (one per
version), orders, scoped API keys and their metered calls, compute runs

Revision ID: 0013
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_blobs')),
    sa.UniqueConstraint('sha256', name=op.f('uq_exchange_blobs_sha256'))
    )
    op.create_table('exchange_memberships',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('statement', sa.String(length=2000), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applied_by'], ['users.id'], name=op.f('fk_exchange_memberships_applied_by_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_exchange_memberships_decided_by_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_exchange_memberships_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_memberships')),
    sa.UniqueConstraint('organisation_id', 'role', name=op.f('uq_exchange_memberships_organisation_id_role'))
    )
    with op.batch_alter_table('exchange_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_memberships_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('exchange_products',
    sa.Column('supplier_organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sector', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('legal_basis', sa.String(length=1000), nullable=False),
    sa.Column('pi_level', sa.String(length=16), nullable=False),
    sa.Column('update_frequency', sa.String(length=64), nullable=False),
    sa.Column('sample', sa.Text(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('delivery_mode', sa.String(length=16), nullable=False),
    sa.Column('price_model', sa.String(length=16), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('licence', sa.Text(), nullable=False),
    sa.Column('center', sa.String(length=63), nullable=True),
    sa.Column('pool', sa.String(length=63), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('registered', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_exchange_products_price_non_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_exchange_products_created_by_users')),
    sa.ForeignKeyConstraint(['supplier_organisation_id'], ['organisations.id'], name=op.f('fk_exchange_products_supplier_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_products'))
    )
    with op.batch_alter_table('exchange_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_products_delivery_mode'), ['delivery_mode'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_products_registered'), ['registered'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_products_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_products_supplier_organisation_id'), ['supplier_organisation_id'], unique=False)

    op.create_table('exchange_versions',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assessor_organisation_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessor_organisation_id'], ['organisations.id'], name=op.f('fk_exchange_versions_assessor_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['product_id'], ['exchange_products.id'], name=op.f('fk_exchange_versions_product_id_exchange_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_versions')),
    sa.UniqueConstraint('product_id', 'label', name=op.f('uq_exchange_versions_product_id_label'))
    )
    with op.batch_alter_table('exchange_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_versions_product_id'), ['product_id'], unique=False)

    op.create_table('exchange_certificates',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_exchange_certificates_issued_by_users')),
    sa.ForeignKeyConstraint(['product_id'], ['exchange_products.id'], name=op.f('fk_exchange_certificates_product_id_exchange_products')),
    sa.ForeignKeyConstraint(['version_id'], ['exchange_versions.id'], name=op.f('fk_exchange_certificates_version_id_exchange_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_certificates')),
    sa.UniqueConstraint('number', name=op.f('uq_exchange_certificates_number')),
    sa.UniqueConstraint('version_id', name=op.f('uq_exchange_certificates_version_id'))
    )
    with op.batch_alter_table('exchange_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_certificates_product_id'), ['product_id'], unique=False)

    op.create_table('exchange_objections',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=5000), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.String(length=2000), nullable=False),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_exchange_objections_resolved_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exchange_objections_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['exchange_versions.id'], name=op.f('fk_exchange_objections_version_id_exchange_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_objections'))
    )
    with op.batch_alter_table('exchange_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_objections_version_id'), ['version_id'], unique=False)

    op.create_table('exchange_orders',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('buyer_organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('contract', sa.JSON(), nullable=False),
    sa.Column('contract_sha256', sa.String(length=64), nullable=False),
    sa.Column('delivery_mode', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('voucher_program_id', sa.Integer(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0 AND used >= 0 AND used <= quantity', name=op.f('ck_exchange_orders_within_quantity')),
    sa.CheckConstraint('total_fen >= 0 AND fee_fen >= 0 AND subsidy_fen >= 0 AND fee_fen <= total_fen AND subsidy_fen <= total_fen', name=op.f('ck_exchange_orders_amounts')),
    sa.ForeignKeyConstraint(['buyer_organisation_id'], ['organisations.id'], name=op.f('fk_exchange_orders_buyer_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['product_id'], ['exchange_products.id'], name=op.f('fk_exchange_orders_product_id_exchange_products')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exchange_orders_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['exchange_versions.id'], name=op.f('fk_exchange_orders_version_id_exchange_versions')),
    sa.ForeignKeyConstraint(['voucher_program_id'], ['voucher_programs.id'], name=op.f('fk_exchange_orders_voucher_program_id_voucher_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_orders'))
    )
    with op.batch_alter_table('exchange_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_orders_buyer_organisation_id'), ['buyer_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_orders_product_id'), ['product_id'], unique=False)

    op.create_table('exchange_review_steps',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_exchange_review_steps_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exchange_review_steps_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['exchange_versions.id'], name=op.f('fk_exchange_review_steps_version_id_exchange_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_review_steps')),
    sa.UniqueConstraint('version_id', 'stage', name=op.f('uq_exchange_review_steps_version_id_stage'))
    )
    with op.batch_alter_table('exchange_review_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_review_steps_version_id'), ['version_id'], unique=False)

    op.create_table('exchange_api_calls',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['exchange_orders.id'], name=op.f('fk_exchange_api_calls_order_id_exchange_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_api_calls'))
    )
    with op.batch_alter_table('exchange_api_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_api_calls_order_id'), ['order_id'], unique=False)

    op.create_table('exchange_api_keys',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('key_sha256', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['exchange_orders.id'], name=op.f('fk_exchange_api_keys_order_id_exchange_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['exchange_products.id'], name=op.f('fk_exchange_api_keys_product_id_exchange_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_api_keys')),
    sa.UniqueConstraint('key_sha256', name=op.f('uq_exchange_api_keys_key_sha256')),
    sa.UniqueConstraint('order_id', name=op.f('uq_exchange_api_keys_order_id'))
    )
    op.create_table('exchange_compute_runs',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_exchange_compute_runs_job_id_jobs')),
    sa.ForeignKeyConstraint(['order_id'], ['exchange_orders.id'], name=op.f('fk_exchange_compute_runs_order_id_exchange_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_compute_runs')),
    sa.UniqueConstraint('job_id', name=op.f('uq_exchange_compute_runs_job_id'))
    )
    with op.batch_alter_table('exchange_compute_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_compute_runs_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('exchange_compute_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_compute_runs_order_id'))

    op.drop_table('exchange_compute_runs')
    op.drop_table('exchange_api_keys')
    with op.batch_alter_table('exchange_api_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_api_calls_order_id'))

    op.drop_table('exchange_api_calls')
    with op.batch_alter_table('exchange_review_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_review_steps_version_id'))

    op.drop_table('exchange_review_steps')
    with op.batch_alter_table('exchange_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_orders_product_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_orders_buyer_organisation_id'))

    op.drop_table('exchange_orders')
    with op.batch_alter_table('exchange_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_objections_version_id'))

    op.drop_table('exchange_objections')
    with op.batch_alter_table('exchange_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_certificates_product_id'))

    op.drop_table('exchange_certificates')
    with op.batch_alter_table('exchange_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_versions_product_id'))

    op.drop_table('exchange_versions')
    with op.batch_alter_table('exchange_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_products_supplier_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_products_sector'))
        batch_op.drop_index(batch_op.f('ix_exchange_products_registered'))
        batch_op.drop_index(batch_op.f('ix_exchange_products_delivery_mode'))

    op.drop_table('exchange_products')
    with op.batch_alter_table('exchange_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_memberships_organisation_id'))

    op.drop_table('exchange_memberships')
    op.drop_table('exchange_blobs')
