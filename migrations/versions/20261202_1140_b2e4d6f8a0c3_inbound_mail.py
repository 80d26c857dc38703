"""inbound mail: each message received, recorded once with what it became

Revision ID: b2e4d6f8a0c3
Revises: a1f3c5e7b9d2
Create Date: 2026-12-02 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b2e4d6f8a0c3'
down_revision = 'a1f3c5e7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inbound_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_key', sa.String(length=255), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sender', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('outbox_message_id', sa.Integer(), nullable=True),
        sa.Column('raw', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('comment', 'bounce', 'ignored', 'to_sort')",
            name=op.f('ck_inbound_mail_outcome_known'),
        ),
        sa.ForeignKeyConstraint(['event_id'], ['ticket_event.id'], name=op.f('fk_inbound_mail_event_id_ticket_event')),
        sa.ForeignKeyConstraint(
            ['outbox_message_id'], ['outbox_message.id'], name=op.f('fk_inbound_mail_outbox_message_id_outbox_message')
        ),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_inbound_mail_ticket_id_ticket')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail')),
        sa.UniqueConstraint('message_key', name=op.f('uq_inbound_mail_message_key')),
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_mail_outcome_received', ['outcome', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_ticket_id'))
        batch_op.drop_index('ix_inbound_mail_outcome_received')
    op.drop_table('inbound_mail')
