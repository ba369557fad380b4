"""Planning: decisions to stop anticancer treatment, advance care plan documents, her questions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 06:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decision') as batch:
        batch.add_column(sa.Column('stops_anticancer_treatment_on', sa.Date(), nullable=True))
    op.create_table('care_document',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('dated', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_care_document_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_document'))
    )
    op.create_index(op.f('ix_care_document_patient_id'), 'care_document', ['patient_id'], unique=False)
    op.create_table('patient_question',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_question_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_question'))
    )
    op.create_index(op.f('ix_patient_question_patient_id'), 'patient_question', ['patient_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_patient_question_patient_id'), table_name='patient_question')
    op.drop_table('patient_question')
    op.drop_index(op.f('ix_care_document_patient_id'), table_name='care_document')
    op.drop_table('care_document')
    with op.batch_alter_table('decision') as batch:
        batch.drop_column('stops_anticancer_treatment_on')
