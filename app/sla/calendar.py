"""The business calendar: service hours, Belgian public holidays, the FWB's own day (27
September) and, for suppliers that follow it, the FWB school holidays. Pure: no Flask, no
database (app.sla.loading builds one from the configuration and the SchoolHoliday rows).

Instants are timezone-aware datetimes (any zone); service hours are local to Europe/Brussels,
so that the count stays right across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time


@dataclass(frozen=True)
class BusinessCalendar:
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    # Extra days off (school holidays for a supplier that follows them), both ends included.
    periods_off: tuple[tuple[date, date], ...] = field(default_factory=tuple)
    timezone: str = "Europe/Brussels"

    def is_business_day(self, day: date) -> bool:
        raise NotImplementedError

    def is_school_day(self, day: date) -> bool:
        """A day teachers are at school: a business day outside the FWB school holidays."""
        raise NotImplementedError

    def business_minutes(self, start: datetime, end: datetime) -> int:
        """Business minutes between two instants (0 when end <= start)."""
        raise NotImplementedError

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant `minutes` business minutes after `start` (UTC)."""
        raise NotImplementedError
