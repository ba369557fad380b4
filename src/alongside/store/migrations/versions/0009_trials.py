"""Clinical trials: ClinicalTrials.gov studies with their sites and cached criteria, and the
trials a patient saved to her record

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:35:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trial_study',
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.Column('brief_title', sa.Text(), nullable=False),
    sa.Column('last_update', sa.Date(), nullable=True),
    sa.Column('overall_status', sa.String(length=40), nullable=False),
    sa.Column('recruiting', sa.Boolean(), nullable=False),
    sa.Column('phases', sa.String(length=100), nullable=False),
    sa.Column('sex', sa.String(length=40), nullable=True),
    sa.Column('minimum_age_years', sa.Float(), nullable=True),
    sa.Column('maximum_age_years', sa.Float(), nullable=True),
    sa.Column('breast', sa.Boolean(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('study', sa.JSON(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=True),
    sa.Column('extractor_version', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nct_id', name=op.f('pk_trial_study'))
    )
    op.create_index('ix_trial_study_prefilter', 'trial_study', ['breast', 'recruiting', 'sex'])

    op.create_table('trial_site',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.Column('facility', sa.Text(), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['nct_id'], ['trial_study.nct_id'], name=op.f('fk_trial_site_nct_id_trial_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_site'))
    )
    op.create_index('ix_trial_site_country_nct', 'trial_site', ['country', 'nct_id'])
    op.create_index(op.f('ix_trial_site_nct_id'), 'trial_site', ['nct_id'])
    op.create_index('ix_trial_site_position', 'trial_site', ['latitude', 'longitude'])

    op.create_table('saved_trial',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('nct_id', sa.String(length=11), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by_id', sa.Uuid(), nullable=True),
    sa.Column('saved_by_name', sa.String(length=100), nullable=False),
    sa.Column('shared_with_team', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['nct_id'], ['trial_study.nct_id'], name=op.f('fk_saved_trial_nct_id_trial_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_saved_trial_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', 'nct_id', name=op.f('pk_saved_trial'))
    )
    op.create_index(op.f('ix_saved_trial_nct_id'), 'saved_trial', ['nct_id'])


def downgrade() -> None:
    op.drop_table('saved_trial')
    op.drop_table('trial_site')
    op.drop_table('trial_study')
