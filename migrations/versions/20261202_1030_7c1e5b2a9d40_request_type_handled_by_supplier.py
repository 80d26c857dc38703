"""request_type.handled_by_supplier: the EN team's own requests stay out of the suppliers' figures

Revision ID: 7c1e5b2a9d40
Revises: 7b3d9e2a4c61
Create Date: 2026-12-02 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5b2a9d40'
down_revision = '7b3d9e2a4c61'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request_type', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('handled_by_supplier', sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # Suppliers work on the « Assistance technique » (TECH) types only; the information centre
    # and project follow-up are the EN team's.
    category = sa.table('portal_category', sa.column('id', sa.Integer), sa.column('key', sa.String))
    request_type = sa.table(
        'request_type',
        sa.column('category_id', sa.Integer),
        sa.column('handled_by_supplier', sa.Boolean),
    )
    op.execute(
        request_type.update()
        .where(request_type.c.category_id.in_(sa.select(category.c.id).where(category.c.key != 'TECH')))
        .values(handled_by_supplier=False)
    )


def downgrade():
    with op.batch_alter_table('request_type', schema=None) as batch_op:
        batch_op.drop_column('handled_by_supplier')
