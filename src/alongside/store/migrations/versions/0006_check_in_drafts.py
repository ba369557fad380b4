"""Check-in drafts: one half-finished check-in per patient, saved to finish later

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('check_in_draft',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by', sa.String(length=40), nullable=False),
    sa.Column('saved_by_id', sa.Uuid(), nullable=False),
    sa.Column('saved_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_check_in_draft_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_check_in_draft'))
    )


def downgrade() -> None:
    op.drop_table('check_in_draft')
