"""The school holidays of the school calendars: dated periods an admin keeps (app.sla.calendar)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class SchoolHoliday(db.Model):
    """One holiday period of one school calendar, both days included (« Congé d'automne »,
    20/10/2025 – 2/11/2025, FWB)."""

    __tablename__ = "school_holiday"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("calendar IN ('fwb', 'dg')", name="calendar_known"),
        # Also the index of the reads by calendar and date.
        UniqueConstraint("calendar", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The school calendar (app.sla.calendar.SCHOOL_CALENDARS): "fwb" or "dg".
    calendar: Mapped[str] = mapped_column(String(8), default="fwb", server_default="fwb")
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # "manual", "ical" (imported from a calendar file) or "rules" (derived from the rules of the
    # calendar, app.sla.school_rules).
    source: Mapped[str] = mapped_column(String(20), default="manual")
    # Derived from the rules and not yet confirmed by an admin nor replaced by official dates.
    provisional: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SchoolHoliday {self.calendar} {self.name} {self.starts_on}–{self.ends_on}>"
