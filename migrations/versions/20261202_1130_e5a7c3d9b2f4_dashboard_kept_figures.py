"""dashboard kept figures: one narrow row per supplier clock, read by day

Revision ID: e5a7c3d9b2f4
Revises: c4e8f0a2d6b1
Create Date: 2026-12-02 11:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

from app.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = "e5a7c3d9b2f4"
down_revision = "c4e8f0a2d6b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dashboard_clock",
        sa.Column("clock_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("spent_minutes", sa.Integer(), nullable=True),
        sa.Column("running_due_at", UTCDateTime(), nullable=True),
        sa.Column("previous_supplier_day", sa.Date(), nullable=True),
        sa.Column("previous_day", sa.Date(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("auto_closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("clock_id", name=op.f("pk_dashboard_clock")),
    )
    op.create_index("ix_dashboard_clock_day_kind", "dashboard_clock", ["day", "kind"], unique=False)
    op.create_index("ix_dashboard_clock_ticket", "dashboard_clock", ["ticket_id"], unique=False)
    # Existing clocks get their rows from the periodic job's first run (`flask jobs run-due
    # --job dashboard`), which the upgrade notes ask for; the table starts empty.


def downgrade():
    op.drop_index("ix_dashboard_clock_ticket", table_name="dashboard_clock")
    op.drop_index("ix_dashboard_clock_day_kind", table_name="dashboard_clock")
    op.drop_table("dashboard_clock")
