"""ticket search columns: folded text for the search box, trigram indexes on PostgreSQL

Revision ID: 5e4a1c2f9b7d
Revises: 34dd3b4e4071
Create Date: 2026-12-02 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.folding import fold_fields, fold_text


# revision identifiers, used by Alembic.
revision = '5e4a1c2f9b7d'
down_revision = '34dd3b4e4071'
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill():
    """Fold the existing tickets' texts with the function the app keeps them with."""
    connection = op.get_bind()
    ticket = sa.table(
        'ticket',
        sa.column('id', sa.Integer),
        sa.column('reference', sa.String),
        sa.column('summary', sa.String),
        sa.column('equipment_label', sa.String),
        sa.column('equipment_serial', sa.String),
        sa.column('contact_name', sa.String),
        sa.column('search_text', sa.Text),
        sa.column('contact_search', sa.Text),
    )
    update = (
        ticket.update()
        .where(ticket.c.id == sa.bindparam('ticket_id'))
        .values(search_text=sa.bindparam('folded'), contact_search=sa.bindparam('contact'))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                ticket.c.id,
                ticket.c.reference,
                ticket.c.summary,
                ticket.c.equipment_label,
                ticket.c.equipment_serial,
                ticket.c.contact_name,
            )
            .where(ticket.c.id > last)
            .order_by(ticket.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {
                    'ticket_id': row.id,
                    'folded': fold_fields(
                        row.reference, row.summary, row.equipment_label, row.equipment_serial
                    ),
                    'contact': fold_text(row.contact_name or ''),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_search', sa.Text(), server_default='', nullable=False))
    _backfill()
    if op.get_bind().dialect.name == 'postgresql':
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    # The postgresql_* options are ignored elsewhere: a plain index on SQLite.
    op.create_index(
        'ix_ticket_search_text_trgm', 'ticket', ['search_text'],
        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'},
    )
    op.create_index(
        'ix_ticket_contact_search_trgm', 'ticket', ['contact_search'],
        postgresql_using='gin', postgresql_ops={'contact_search': 'gin_trgm_ops'},
    )


def downgrade():
    op.drop_index('ix_ticket_contact_search_trgm', table_name='ticket')
    op.drop_index('ix_ticket_search_text_trgm', table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('contact_search')
        batch_op.drop_column('search_text')
    # pg_trgm stays: other databases' objects may use it, and it holds no data.
