"""ticket.resolved_first_contact: a request the EN team solved at the first contact (the dashboard's 85 % share)

Revision ID: e5a7c9b1d3f2
Revises: b2e4d6f8a0c3
Create Date: 2026-12-02 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c9b1d3f2'
down_revision = 'b2e4d6f8a0c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('resolved_first_contact', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('resolved_first_contact')
