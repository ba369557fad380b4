"""Messages to the team: threads (with appointment change requests) and their replies

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_thread',
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.String(length=200), nullable=False),
    sa.Column('sent_by_role', sa.String(length=40), nullable=False),
    sa.Column('urgent', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('appointment_id', sa.Uuid(), nullable=True),
    sa.Column('change', sa.String(length=40), nullable=True),
    sa.Column('preferred_times', sa.String(length=1000), nullable=True),
    sa.Column('request_state', sa.String(length=40), nullable=True),
    sa.Column('confirmed_starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('team_note', sa.String(length=1000), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_message_thread_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_thread'))
    )
    op.create_index(op.f('ix_message_thread_patient_id'), 'message_thread', ['patient_id'], unique=False)
    op.create_index('ix_message_thread_state', 'message_thread', ['state'], unique=False)
    op.create_table('message_reply',
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.String(length=200), nullable=False),
    sa.Column('sent_by_role', sa.String(length=40), nullable=False),
    sa.Column('urgent', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_message_reply_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'], name=op.f('fk_message_reply_thread_id_message_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_reply'))
    )
    op.create_index(op.f('ix_message_reply_patient_id'), 'message_reply', ['patient_id'], unique=False)
    op.create_index(op.f('ix_message_reply_thread_id'), 'message_reply', ['thread_id'], unique=False)


def downgrade() -> None:
    op.drop_table('message_reply')
    op.drop_table('message_thread')
