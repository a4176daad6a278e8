"""security counters and the outbox's link to its code

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('security_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_code_id'), ['code_id'], unique=False)
        batch_op.create_foreign_key('fk_outbox_code_id', 'one_time_codes', ['code_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_code_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_code_id'))
        batch_op.drop_column('code_id')
    op.drop_table('security_counters')
