"""The outbox also carries "a message is overdue" emails: a notification is about an alert or
a message thread (issue 18, hazard H54)

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification') as batch_op:
        batch_op.alter_column('alert_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('thread_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_thread_id'), ['thread_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_thread_id_message_thread'), 'message_thread',
                                    ['thread_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint('uq_notification_thread_once', ['thread_id', 'purpose', 'channel', 'target'])


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE alert_id IS NULL")
    with op.batch_alter_table('notification') as batch_op:
        batch_op.drop_constraint('uq_notification_thread_once', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_notification_thread_id_message_thread'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_thread_id'))
        batch_op.drop_column('thread_id')
        batch_op.alter_column('alert_id', existing_type=sa.Uuid(), nullable=False)
