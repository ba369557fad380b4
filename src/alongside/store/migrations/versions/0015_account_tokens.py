"""Accounts a hospital can run: one-time account tokens (password reset links) and what changed,
in the audit trail, for account changes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 05:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_token',
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_digest')
    )
    op.create_index(op.f('ix_account_token_user_id'), 'account_token', ['user_id'], unique=False)
    with op.batch_alter_table('audit_event') as batch_op:
        batch_op.add_column(sa.Column('detail', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_event') as batch_op:
        batch_op.drop_column('detail')
    op.drop_index(op.f('ix_account_token_user_id'), table_name='account_token')
    op.drop_table('account_token')
