"""Result sharing: when a patient sees new results of each kind, and the results her team has
discussed with her

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 05:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('result_sharing',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('since', sa.JSON(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Uuid(), nullable=False),
    sa.Column('changed_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_result_sharing_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_result_sharing'))
    )
    op.create_table('result_discussion',
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('discussed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('discussed_by_id', sa.Uuid(), nullable=False),
    sa.Column('discussed_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_result_discussion_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_result_discussion'))
    )
    op.create_index(op.f('ix_result_discussion_patient_id'), 'result_discussion', ['patient_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_result_discussion_patient_id'), table_name='result_discussion')
    op.drop_table('result_discussion')
    op.drop_table('result_sharing')
