"""The first released schema: registry, submissions with lineage, indicators, publications, users, audit.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 17:16:05.064733
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_at', ['at'], unique=False)

    op.create_table('indicator_value',
    sa.Column('basis', sa.String(length=8), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('area_code', sa.String(length=12), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('basis', 'period', 'area_code', 'indicator')
    )
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_value_level', ['basis', 'level', 'period'], unique=False)

    op.create_table('place',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=True),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('publication',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.Column('submission_ids', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('submission',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('warnings', sa.Text(), nullable=False),
    sa.Column('n_communities', sa.Integer(), nullable=False),
    sa.Column('n_links', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_county_period', ['county_code', 'period'], unique=False)
        batch_op.create_index('ix_submission_sha256', ['sha256'], unique=False)

    op.create_table('community_return',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('township_name', sa.String(length=64), nullable=True),
    sa.Column('community_name', sa.String(length=64), nullable=True),
    sa.Column('community_kind', sa.String(length=8), nullable=True),
    sa.Column('service_area_m2', sa.Float(), nullable=True),
    sa.Column('service_items', sa.Integer(), nullable=True),
    sa.Column('facilities', sa.Integer(), nullable=True),
    sa.Column('grid_managed', sa.Boolean(), nullable=True),
    sa.Column('grid_count', sa.Integer(), nullable=True),
    sa.Column('party_org_standard', sa.Boolean(), nullable=True),
    sa.Column('unified_site', sa.Boolean(), nullable=True),
    sa.Column('unified_function', sa.Boolean(), nullable=True),
    sa.Column('unified_sign', sa.Boolean(), nullable=True),
    sa.Column('build_mode', sa.String(length=32), nullable=True),
    sa.Column('fund_fiscal', sa.Float(), nullable=True),
    sa.Column('fund_party_fee', sa.Float(), nullable=True),
    sa.Column('fund_donation', sa.Float(), nullable=True),
    sa.Column('staff', sa.Integer(), nullable=True),
    sa.Column('trained', sa.Integer(), nullable=True),
    sa.Column('weak', sa.Boolean(), nullable=True),
    sa.Column('sheet', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'community_code')
    )
    op.create_table('leader_link',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('leader_name', sa.String(length=64), nullable=False),
    sa.Column('leader_level', sa.String(length=8), nullable=False),
    sa.Column('leader_post', sa.String(length=128), nullable=True),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('sheet', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('leader_link', schema=None) as batch_op:
        batch_op.create_index('ix_leader_link_submission', ['submission_id'], unique=False)

    op.create_table('publication_value',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=12), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'area_code', 'indicator')
    )


def downgrade() -> None:
    op.drop_table('publication_value')
    with op.batch_alter_table('leader_link', schema=None) as batch_op:
        batch_op.drop_index('ix_leader_link_submission')

    op.drop_table('leader_link')
    op.drop_table('community_return')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_sha256')
        batch_op.drop_index('ix_submission_county_period')

    op.drop_table('submission')
    op.drop_table('publication')
    op.drop_table('place')
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_value_level')

    op.drop_table('indicator_value')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_at')

    op.drop_table('audit_event')
    op.drop_table('app_user')
