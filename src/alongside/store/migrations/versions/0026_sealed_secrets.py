"""Second-factor and webhook secrets sealed at rest (store/sealing.py): wider columns, and every
value stored readable before this sealed in place

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

from alongside.store.sealing import PREFIX, seal, unseal


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# (table, column, width before, width after)
SECRETS = [('user_account', 'totp_secret', 64, 200), ('team', 'webhook_secret', 200, 400)]


def upgrade() -> None:
    for table, column, _, wide in SECRETS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, type_=sa.String(length=wide), existing_nullable=True)
        _rewrite(table, column, lambda value: value if value.startswith(PREFIX) else seal(value))


def downgrade() -> None:
    for table, column, narrow, _ in SECRETS:
        _rewrite(table, column, unseal)
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, type_=sa.String(length=narrow), existing_nullable=True)


def _rewrite(table: str, column: str, change) -> None:
    """Each stored value through `change`, as plain strings (not through the sealing column type)."""
    rows = sa.table(table, sa.column('id', sa.Uuid()), sa.column(column, sa.String()))
    bind = op.get_bind()
    for row_id, value in bind.execute(sa.select(rows.c.id, rows.c[column]).where(rows.c[column].is_not(None))).all():
        bind.execute(rows.update().where(rows.c.id == row_id).values({column: change(value)}))
