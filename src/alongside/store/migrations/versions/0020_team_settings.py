"""A team's check-in day and reminders, and the alert thresholds it changed (issue 17 item 4)

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team') as batch_op:
        batch_op.add_column(sa.Column('check_in_day', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('check_in_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('reminder_hour', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('alert_thresholds', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('team') as batch_op:
        batch_op.drop_column('alert_thresholds')
        batch_op.drop_column('reminder_hour')
        batch_op.drop_column('check_in_reminders')
        batch_op.drop_column('check_in_day')
