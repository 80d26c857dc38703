"""ticket sort indexes: each sortable column of the list served by an index

Revision ID: c4e8f0a2d6b1
Revises: 7b3d9e21c6a4
Create Date: 2026-12-02 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.folding import fold_text


# revision identifiers, used by Alembic.
revision = 'c4e8f0a2d6b1'
down_revision = '7b3d9e21c6a4'
branch_labels = None
depends_on = None

BATCH = 5000

# The single-column indexes give way to (column, created_at): the same prefix serves the
# foreign-key look-ups, and the rest each group of the list's sort, newest first.
REPLACED = {
    'ix_ticket_request_type_id': ('ix_ticket_request_type_created', 'request_type_id'),
    'ix_ticket_creator_id': ('ix_ticket_creator_created', 'creator_id'),
    'ix_ticket_assignee_id': ('ix_ticket_assignee_created', 'assignee_id'),
}


def _backfill():
    """Fold the existing summaries with the function the app keeps them with."""
    connection = op.get_bind()
    ticket = sa.table(
        'ticket', sa.column('id', sa.Integer), sa.column('summary', sa.String), sa.column('summary_sort', sa.Text)
    )
    update = (
        ticket.update().where(ticket.c.id == sa.bindparam('row_id')).values(summary_sort=sa.bindparam('folded'))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(ticket.c.id, ticket.c.summary).where(ticket.c.id > last).order_by(ticket.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(update, [{'row_id': row.id, 'folded': fold_text(row.summary or '')} for row in rows])
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_sort', sa.Text(), server_default='', nullable=False))
    _backfill()
    op.create_index('ix_ticket_summary_sort', 'ticket', ['summary_sort'])
    for old, (new, column) in REPLACED.items():
        op.create_index(new, 'ticket', [column, 'created_at'])
        op.drop_index(old, table_name='ticket')


def downgrade():
    for old, (new, column) in REPLACED.items():
        op.create_index(old, 'ticket', [column])
        op.drop_index(new, table_name='ticket')
    op.drop_index('ix_ticket_summary_sort', table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('summary_sort')
