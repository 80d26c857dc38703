"""school calendars: FWB and DG holidays, provisional periods, a site's calendar

Revision ID: 34dd3b4e4071
Revises: bbb72f936a70
Create Date: 2026-12-02 07:22:23.491492

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '34dd3b4e4071'
down_revision = 'bbb72f936a70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school_holiday', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.String(length=8), server_default='fwb', nullable=False))
        batch_op.add_column(sa.Column('provisional', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_school_holiday_starts_on_ends_on'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_school_holiday_calendar_starts_on_ends_on'), ['calendar', 'starts_on', 'ends_on'])
        batch_op.create_check_constraint(batch_op.f('ck_school_holiday_calendar_known'), "calendar IN ('fwb', 'dg')")

    with op.batch_alter_table('school_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('school_calendar', sa.String(length=8), server_default='fwb', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_school_site_school_calendar_known'), "school_calendar IN ('fwb', 'dg')")

    # The 2025-2026 file shipped before ended the summer on 30 August 2026; the FWB's 2026-2027
    # calendar starts the school year on 24 August, so the summer ends on the 23rd.
    op.execute(
        "UPDATE school_holiday SET ends_on = '2026-08-23' WHERE calendar = 'fwb' "
        "AND starts_on = '2026-07-04' AND ends_on = '2026-08-30' AND source = 'ical'"
    )


def downgrade():
    with op.batch_alter_table('school_site', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_school_site_school_calendar_known'), type_='check')
        batch_op.drop_column('school_calendar')

    # Only the FWB's periods fit the former table (one set of dates, no calendar).
    op.execute("DELETE FROM school_holiday WHERE calendar <> 'fwb'")
    with op.batch_alter_table('school_holiday', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_school_holiday_calendar_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_school_holiday_calendar_starts_on_ends_on'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_school_holiday_starts_on_ends_on'), ['starts_on', 'ends_on'])
        batch_op.drop_column('provisional')
        batch_op.drop_column('calendar')
