"""A treatment course's choice of check-in symptoms: those the team added for the line and the
linked ones it took out (issue 16 item 1, hazard H55). Existing courses choose nothing: the
treatment decides.

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('treatment_course') as batch_op:
        batch_op.add_column(sa.Column('check_in_added', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('check_in_removed', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('treatment_course') as batch_op:
        batch_op.drop_column('check_in_removed')
        batch_op.drop_column('check_in_added')
