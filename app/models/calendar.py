"""The school holidays of the FWB calendar: dated periods an admin keeps (app.sla.calendar)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class SchoolHoliday(db.Model):
    """One holiday period, both days included (« Congé d'automne », 20/10/2025 – 2/11/2025)."""

    __tablename__ = "school_holiday"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        UniqueConstraint("starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # "manual" or "ical" (imported from a calendar file).
    source: Mapped[str] = mapped_column(String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SchoolHoliday {self.name} {self.starts_on}–{self.ends_on}>"
