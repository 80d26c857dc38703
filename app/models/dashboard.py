"""The dashboard's kept figures: one narrow row per supplier clock of supplier work.

Kept by app.dashboard.kept (after each ticket change, and rebuilt by a periodic job), so that
the dashboard reads one table by day instead of joining the clocks to the tickets, their
equipment and their events. The previous days make « distinct tickets over a period » a plain
count: a clock counts its ticket when the same ticket's previous clock (of the same kind, for
the same supplier, or for any supplier) started before the period, or does not exist.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class DashboardClock(db.Model):
    __tablename__ = "dashboard_clock"
    __table_args__ = (
        Index("ix_dashboard_clock_day_kind", "day", "kind"),
        Index("ix_dashboard_clock_ticket", "ticket_id"),
    )

    # The service clock's id: no foreign keys, the rows are rebuilt from the clocks.
    clock_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ticket_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)  # the clock's start, Brussels date
    supplier_id: Mapped[int]
    lot: Mapped[str] = mapped_column(String(40))  # the ticket's equipment lot, or NO_LOT
    kind: Mapped[str] = mapped_column(String(10))  # plan | resolve
    outcome: Mapped[str | None] = mapped_column(String(12))
    spent_minutes: Mapped[int | None]
    # A running clock's due time (late once past it); empty once stopped or while paused.
    running_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day the same ticket's previous clock of this kind started: for this supplier, for any.
    previous_supplier_day: Mapped[date | None] = mapped_column(Date)
    previous_day: Mapped[date | None] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(default=False)  # the ticket is closed now
    reopened: Mapped[bool] = mapped_column(default=False)  # reopened at least once
    auto_closed: Mapped[bool] = mapped_column(default=False)  # closed by the 15-day rule
