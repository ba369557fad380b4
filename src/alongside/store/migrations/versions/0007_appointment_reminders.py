"""Appointment reminders

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appointment_reminder',
    sa.Column('appointment_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_appointment_reminder_appointment_id_appointment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('appointment_id', 'starts_at', name=op.f('pk_appointment_reminder'))
    )


def downgrade() -> None:
    op.drop_table('appointment_reminder')
