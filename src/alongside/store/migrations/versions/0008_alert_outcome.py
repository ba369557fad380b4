"""An alert's outcome: what the team did when resolving it (vocab.AlertOutcome)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: alerts resolved before this revision have no coded outcome, only their notes.
    with op.batch_alter_table('alert') as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert') as batch_op:
        batch_op.drop_column('outcome')
