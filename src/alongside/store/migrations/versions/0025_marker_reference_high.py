"""A tumour marker result keeps the laboratory's upper reference limit (issue 16 item 2)

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tumour_marker_result') as batch_op:
        batch_op.add_column(sa.Column('reference_high', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tumour_marker_result') as batch_op:
        batch_op.drop_column('reference_high')
