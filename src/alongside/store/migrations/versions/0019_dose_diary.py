"""The cycle diary of medicines taken at home (issue 18 item 2): day marks, the team's
instructions as she recorded them, the choice of dose day reminders and the reminders sent

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dose_diary_mark',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('medication_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('mark', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('marked_by', sa.String(length=40), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['medication_id'], ['medication.id'], name=op.f('fk_dose_diary_mark_medication_id_medication'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_dose_diary_mark_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_diary_mark')),
    sa.UniqueConstraint('patient_id', 'medication_id', 'day', name='uq_dose_diary_mark_day')
    )
    op.create_table('team_instruction',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('medication_id', sa.Uuid(), nullable=False),
    sa.Column('told_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('starting', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('in_their_words', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.String(length=40), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['medication_id'], ['medication.id'], name=op.f('fk_team_instruction_medication_id_medication'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_team_instruction_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_instruction'))
    )
    op.create_index(op.f('ix_team_instruction_medication_id'), 'team_instruction', ['medication_id'], unique=False)
    op.create_index(op.f('ix_team_instruction_patient_id'), 'team_instruction', ['patient_id'], unique=False)
    op.create_table('dose_reminder_choice',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_dose_reminder_choice_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_dose_reminder_choice'))
    )
    op.create_table('dose_reminder',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_dose_reminder_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', 'day', name=op.f('pk_dose_reminder'))
    )


def downgrade() -> None:
    op.drop_table('dose_reminder')
    op.drop_table('dose_reminder_choice')
    op.drop_index(op.f('ix_team_instruction_patient_id'), table_name='team_instruction')
    op.drop_index(op.f('ix_team_instruction_medication_id'), table_name='team_instruction')
    op.drop_table('team_instruction')
    op.drop_table('dose_diary_mark')
