"""keys the diagnosis finds registry candidates by: phonetic surname, birth date, surname+name

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from areaclienti_tui.rules.text import phonetic_key


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cognome_fon', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=False, server_default=''))
    # Existing customers get their phonetic key, a batch at a time.
    bind = op.get_bind()
    customers = sa.table('customers', sa.column('id', sa.Integer), sa.column('cognome_norm', sa.String),
                         sa.column('cognome_fon', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(customers.c.id, customers.c.cognome_norm)
                            .where(customers.c.id > last).order_by(customers.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(customers.update().where(customers.c.id == sa.bindparam('row_id'))
                     .values(cognome_fon=sa.bindparam('fon')),
                     [{'row_id': row.id, 'fon': phonetic_key(row.cognome_norm)} for row in rows])
        last = rows[-1].id
    op.create_index('ix_customers_data_nascita', 'customers', ['data_nascita'], unique=False)
    op.create_index('ix_customers_cognome_fon_nome_norm', 'customers', ['cognome_fon', 'nome_norm'], unique=False)
    op.create_index('ix_customers_cognome_norm_nome_norm', 'customers', ['cognome_norm', 'nome_norm'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customers_cognome_norm_nome_norm', table_name='customers')
    op.drop_index('ix_customers_cognome_fon_nome_norm', table_name='customers')
    op.drop_index('ix_customers_data_nascita', table_name='customers')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('cognome_fon')
