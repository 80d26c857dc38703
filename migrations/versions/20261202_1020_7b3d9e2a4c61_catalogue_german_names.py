"""catalogue german names: categories and request types named in French and German

Revision ID: 7b3d9e2a4c61
Revises: 5e4a1c2f9b7d
Create Date: 2026-12-02 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3d9e2a4c61'
down_revision = '5e4a1c2f9b7d'
branch_labels = None
depends_on = None

TABLES = ('portal_category', 'request_type')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_de', sa.String(length=120), nullable=True))
            batch_op.add_column(sa.Column('description_de', sa.String(length=500), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('description_de')
            batch_op.drop_column('name_de')
