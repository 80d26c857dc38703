"""directory search columns: folded text for sites and equipment, trigram indexes on PostgreSQL

Revision ID: 7b3d9e21c6a4
Revises: 7d3e9a51c0b2
Create Date: 2026-12-02 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.folding import fold_fields, fold_text


# revision identifiers, used by Alembic.
revision = '7b3d9e21c6a4'
down_revision = '7d3e9a51c0b2'
branch_labels = None
depends_on = None

BATCH = 5000

site = sa.table(
    'school_site',
    sa.column('id', sa.Integer),
    sa.column('establishment_id', sa.Integer),
    sa.column('locality', sa.String),
    sa.column('address', sa.String),
    sa.column('search_name', sa.Text),
    sa.column('search_address', sa.Text),
)
establishment = sa.table('establishment', sa.column('id', sa.Integer), sa.column('name', sa.String))
equipment = sa.table(
    'equipment',
    sa.column('id', sa.Integer),
    sa.column('label', sa.String),
    sa.column('serial', sa.String),
    sa.column('lot', sa.String),
    sa.column('model', sa.String),
    sa.column('search_text', sa.Text),
)


def _batches(connection, query, id_column):
    """The rows of `query` in batches of BATCH, by increasing id (keyset, no OFFSET)."""
    last = 0
    while True:
        rows = connection.execute(query.where(id_column > last).order_by(id_column).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _backfill():
    """Fold the existing rows with the functions the app keeps them with."""
    connection = op.get_bind()
    sites = sa.select(site.c.id, establishment.c.name, site.c.locality, site.c.address).join(
        establishment, establishment.c.id == site.c.establishment_id
    )
    update_site = (
        site.update()
        .where(site.c.id == sa.bindparam('row_id'))
        .values(search_name=sa.bindparam('name_folded'), search_address=sa.bindparam('address_folded'))
    )
    for rows in _batches(connection, sites, site.c.id):
        connection.execute(
            update_site,
            [
                {
                    'row_id': row.id,
                    'name_folded': fold_fields(row.name, row.locality),
                    'address_folded': fold_text(row.address or ''),
                }
                for row in rows
            ],
        )
    items = sa.select(equipment.c.id, equipment.c.label, equipment.c.serial, equipment.c.lot, equipment.c.model)
    update_item = (
        equipment.update()
        .where(equipment.c.id == sa.bindparam('row_id'))
        .values(search_text=sa.bindparam('folded'))
    )
    for rows in _batches(connection, items, equipment.c.id):
        connection.execute(
            update_item,
            [
                {'row_id': row.id, 'folded': fold_fields(row.label, row.serial, row.lot, row.model)}
                for row in rows
            ],
        )


def _trigram_index(name, table, column):
    # The postgresql_* options are ignored elsewhere: a plain index on SQLite.
    op.create_index(name, table, [column], postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'})


def upgrade():
    with op.batch_alter_table('school_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('search_address', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    _backfill()
    if op.get_bind().dialect.name == 'postgresql':
        # Created by the ticket search's migration already; again for a database built otherwise.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    _trigram_index('ix_school_site_search_name_trgm', 'school_site', 'search_name')
    _trigram_index('ix_school_site_search_address_trgm', 'school_site', 'search_address')
    _trigram_index('ix_equipment_search_text_trgm', 'equipment', 'search_text')
    _trigram_index('ix_outbox_message_recipient_trgm', 'outbox_message', 'recipient')


def downgrade():
    op.drop_index('ix_outbox_message_recipient_trgm', table_name='outbox_message')
    op.drop_index('ix_equipment_search_text_trgm', table_name='equipment')
    op.drop_index('ix_school_site_search_address_trgm', table_name='school_site')
    op.drop_index('ix_school_site_search_name_trgm', table_name='school_site')
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.drop_column('search_text')
    with op.batch_alter_table('school_site', schema=None) as batch_op:
        batch_op.drop_column('search_address')
        batch_op.drop_column('search_name')
