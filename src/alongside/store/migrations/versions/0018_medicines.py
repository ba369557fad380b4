"""Medicines and allergies on the record (issue 18): the medication and allergy tables

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 05:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allergy',
    sa.Column('substance', sa.String(length=200), nullable=False),
    sa.Column('code_system', sa.String(length=100), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('code_display', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('reaction', sa.String(length=500), nullable=True),
    sa.Column('severity', sa.String(length=40), nullable=True),
    sa.Column('criticality', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_allergy_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergy'))
    )
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergy_patient_id'), ['patient_id'], unique=False)

    op.create_table('medication',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code_system', sa.String(length=100), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('code_display', sa.String(length=200), nullable=True),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('dose_value', sa.Float(), nullable=True),
    sa.Column('dose_unit', sa.String(length=30), nullable=True),
    sa.Column('route', sa.String(length=40), nullable=False),
    sa.Column('schedule', sa.String(length=40), nullable=False),
    sa.Column('every_n_days', sa.Integer(), nullable=True),
    sa.Column('cycle_days_on', sa.Integer(), nullable=True),
    sa.Column('cycle_days_off', sa.Integer(), nullable=True),
    sa.Column('cycle_start_date', sa.Date(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('stop_date', sa.Date(), nullable=True),
    sa.Column('prescribed_by', sa.String(length=200), nullable=True),
    sa.Column('course_id', sa.Uuid(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['treatment_course.id'], name=op.f('fk_medication_course_id_treatment_course'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_medication_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication'))
    )
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medication_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medication_patient_id'), ['patient_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medication_patient_id'))
        batch_op.drop_index(batch_op.f('ix_medication_course_id'))

    op.drop_table('medication')
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergy_patient_id'))

    op.drop_table('allergy')
