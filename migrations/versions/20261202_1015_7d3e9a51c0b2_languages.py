"""languages: each account, invitation and outbox message has a language (fr or de)

Revision ID: 7d3e9a51c0b2
Revises: 7c1e5b2a9d40
Create Date: 2026-12-02 10:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3e9a51c0b2'
down_revision = '7c1e5b2a9d40'
branch_labels = None
depends_on = None

TABLES = ('user_account', 'invitation')


def upgrade():
    # Existing accounts, invitations and messages were all in French.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='fr', nullable=False))
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_language_known'), "language IN ('fr', 'de')")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='fr', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('language')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_language_known'), type_='check')
            batch_op.drop_column('language')
