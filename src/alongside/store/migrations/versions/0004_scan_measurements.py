"""Scan measurements for RECIST 1.1: target lesions, non-target disease, new lesions

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scan') as batch:
        batch.add_column(sa.Column('target_lesions', sa.Text(), nullable=True))
        batch.add_column(sa.Column('non_target', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('new_lesions', sa.String(length=40), nullable=True))
    op.create_index('ix_lab_result_patient_taken', 'lab_result', ['patient_id', 'taken_on'])
    op.create_index('ix_tumour_marker_result_patient_taken', 'tumour_marker_result', ['patient_id', 'taken_on'])


def downgrade() -> None:
    op.drop_index('ix_tumour_marker_result_patient_taken', 'tumour_marker_result')
    op.drop_index('ix_lab_result_patient_taken', 'lab_result')
    with op.batch_alter_table('scan') as batch:
        batch.drop_column('new_lesions')
        batch.drop_column('non_target')
        batch.drop_column('target_lesions')
