"""A photo sent with a message: a document of her record tied to its thread (issue 18 item 4,
hazard H53)

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_photo',
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['care_document.id'], name=op.f('fk_message_photo_document_id_care_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_message_photo_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'], name=op.f('fk_message_photo_thread_id_message_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_message_photo'))
    )
    with op.batch_alter_table('message_photo') as batch_op:
        batch_op.create_index(batch_op.f('ix_message_photo_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_photo_thread_id'), ['thread_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_photo') as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_photo_thread_id'))
        batch_op.drop_index(batch_op.f('ix_message_photo_patient_id'))
    op.drop_table('message_photo')
