"""The caseload summary: one row a person with the caseload page's columns, kept up to date in
the transaction of each write that changes them (issue 17 item 3; hazard H50)

Backfilled here with the columns no clock changes (worst open alert, open alerts, last check-in);
computed_at is left empty, so the first caseload page recomputes each row whole (line in force,
next appointment) before it reads. `alongside caseload-rebuild` recomputes every row.

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
    op.create_table('caseload_summary',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('worst', sa.Integer(), nullable=False),
    sa.Column('open_alerts', sa.Integer(), nullable=False),
    sa.Column('last_check_in', sa.DateTime(timezone=True), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('next_appointment', sa.DateTime(timezone=True), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fresh_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_caseload_summary_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_caseload_summary'))
    )
    op.create_index('ix_caseload_summary_worst', 'caseload_summary', ['worst', 'open_alerts'], unique=False)
    op.create_index('ix_caseload_summary_last_check_in', 'caseload_summary', ['last_check_in'], unique=False)
    op.create_index('ix_caseload_summary_line', 'caseload_summary', ['line'], unique=False)
    op.create_index('ix_caseload_summary_next_appointment', 'caseload_summary', ['next_appointment'], unique=False)
    op.create_index('ix_caseload_summary_fresh_until', 'caseload_summary', ['fresh_until'], unique=False)
    op.execute("""
        INSERT INTO caseload_summary (patient_id, worst, open_alerts, last_check_in)
        SELECT p.id,
               COALESCE((SELECT MAX(CASE a.level WHEN 'red' THEN 3 WHEN 'amber' THEN 2 WHEN 'green' THEN 1 ELSE 0 END)
                         FROM alert a WHERE a.patient_id = p.id AND a.state != 'resolved'), 0),
               (SELECT COUNT(*) FROM alert a WHERE a.patient_id = p.id AND a.state != 'resolved'),
               (SELECT MAX(c.submitted_at) FROM check_in c WHERE c.patient_id = p.id)
        FROM patient p""")


def downgrade() -> None:
    op.drop_table('caseload_summary')
