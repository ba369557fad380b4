"""Body weight and height (vital signs read from FHIR, or typed in), kept in kg and cm; the
cancer's stage at first diagnosis

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('body_measurement',
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_body_measurement_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_measurement'))
    )
    with op.batch_alter_table('body_measurement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_body_measurement_patient_id'), ['patient_id'], unique=False)
    with op.batch_alter_table('cancer_profile') as batch:
        batch.add_column(sa.Column('stage_at_diagnosis', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cancer_profile') as batch:
        batch.drop_column('stage_at_diagnosis')
    op.drop_table('body_measurement')
