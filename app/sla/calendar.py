"""The business calendar: service hours, Belgian public holidays, the school calendar's own day
(27 September for the Fédération Wallonie-Bruxelles, 15 November for the German-speaking
Community) and, for suppliers that follow them, its school holidays. Pure: no Flask, no
database (names in the reader's language through Flask-Babel's locale, when there is one;
app.sla.loading builds one from the configuration, the site's school calendar and the
SchoolHoliday rows).

Instants are timezone-aware datetimes (any zone; naive ones are refused, as by
app.models.types.UTCDateTime); service hours are local to Europe/Brussels: each local day's
opening and closing instants are built in that zone and converted to UTC, so that the count
stays right across daylight-saving changes. Counting walks whole days (never minutes), so spans
of months cost a few hundred cheap steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class SchoolCalendar:
    """A Community's school calendar: its holidays are the SchoolHoliday rows of `code`, and on
    its own `day` (month, day) its schools and services are closed (not a legal public holiday
    for everyone: the public holidays of the `holidays` package leave it out)."""

    code: str
    name: str
    short: str
    day: tuple[int, int]
    day_name: str

    def is_own_day(self, day: date) -> bool:
        return (day.month, day.day) == self.day


FWB = SchoolCalendar(
    "fwb",
    _l("Fédération Wallonie-Bruxelles"),
    "FWB",
    (9, 27),
    _l("Fête de la Fédération Wallonie-Bruxelles"),
)
# Tag der Deutschsprachigen Gemeinschaft: its schools and its administration are closed.
DG = SchoolCalendar(
    "dg", _l("Communauté germanophone"), "DG", (11, 15), _l("Fête de la Communauté germanophone")
)
SCHOOL_CALENDARS = {calendar.code: calendar for calendar in (FWB, DG)}

# A calendar without any business day in this many days is a configuration error.
_MAX_IDLE_DAYS = 3 * 366
_MINUTE = timedelta(minutes=1)

Period = tuple[date, date]


def _reader() -> str:
    """The language holiday names are written in: the current locale's (German or French)."""
    current = get_locale()
    return "de" if current is not None and current.language == "de" else "fr"


@lru_cache(maxsize=64)
def _public_holidays(year: int, language: str = "fr") -> dict[date, str]:
    """Belgian public holidays of one year, named in `language` (cached per year and language)."""
    try:
        found = holidays.country_holidays("BE", years=year, language=language)
    except (NotImplementedError, KeyError, ValueError):  # pragma: no cover - older package
        found = holidays.country_holidays("BE", years=year)
    return {day: str(name) for day, name in found.items()}


def public_holiday_name(day: date) -> str | None:
    """The name of the Belgian public holiday on `day` in the reader's language, or None."""
    return _public_holidays(day.year, _reader()).get(day)


def public_holidays(year: int) -> list[tuple[date, str]]:
    """The Belgian public holidays of `year`, sorted, named in the reader's language."""
    return sorted(_public_holidays(year, _reader()).items())


def is_public_holiday(day: date) -> bool:
    return day in _public_holidays(day.year)


def school_calendar(code: str | None) -> SchoolCalendar:
    """The school calendar of `code` ("fwb" when empty); ValueError for an unknown code."""
    try:
        return SCHOOL_CALENDARS[code or FWB.code]
    except KeyError:
        raise ValueError(f"unknown school calendar: {code!r}") from None


def _normalise(periods) -> tuple[Period, ...]:
    out = []
    for starts_on, ends_on in periods or ():
        if ends_on < starts_on:
            raise ValueError(f"period ends before it starts: {starts_on} – {ends_on}")
        out.append((starts_on, ends_on))
    return tuple(sorted(out))


def _in_periods(day: date, periods: tuple[Period, ...]) -> bool:
    return any(starts_on <= day <= ends_on for starts_on, ends_on in periods)


def period_containing(day: date, periods) -> Period | None:
    for period in periods:
        if period[0] <= day <= period[1]:
            return period
    return None


@dataclass(frozen=True)
class BusinessCalendar:
    """Service hours `opens`–`closes` on `weekdays` (Monday = 0), local to `timezone`, minus the
    Belgian public holidays, the school calendar's own day and `periods_off`.

    `school`: the school calendar of the site (FWB: 27 September; DG: 15 November).
    `periods_off`: extra days off counted against service levels (the school holidays, for a
    supplier that follows them). `school_holidays`: the school holiday periods of `school`,
    known to every calendar so that `is_school_day` answers whether or not the supplier follows
    them. Both are (first day, last day) pairs, both days included.
    """

    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    # Extra days off (school holidays for a supplier that follows them), both ends included.
    periods_off: tuple[tuple[date, date], ...] = field(default_factory=tuple)
    timezone: str = "Europe/Brussels"
    # The school holidays of `school` (for is_school_day), both ends included.
    school_holidays: tuple[tuple[date, date], ...] = field(default_factory=tuple)
    school: SchoolCalendar = FWB

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("service hours: the opening time must come before the closing time")
        weekdays = frozenset(self.weekdays)
        if not weekdays or not weekdays <= set(range(7)):
            raise ValueError("service days: give at least one day among 0 (Monday) … 6 (Sunday)")
        object.__setattr__(self, "weekdays", weekdays)
        object.__setattr__(self, "periods_off", _normalise(self.periods_off))
        object.__setattr__(self, "school_holidays", _normalise(self.school_holidays))
        ZoneInfo(self.timezone)  # an unknown zone fails here, not in the middle of a count

    # -- days -------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _day(self, day: date) -> date:
        if isinstance(day, datetime):
            return self._local(day).date()
        return day

    def is_business_day(self, day: date) -> bool:
        """A service day: one of `weekdays`, not a public holiday, not the school calendar's own
        day, not in `periods_off`. A datetime is taken as the local day it falls on."""
        day = self._day(day)
        return (
            day.weekday() in self.weekdays
            and not is_public_holiday(day)
            and not self.school.is_own_day(day)
            and not _in_periods(day, self.periods_off)
        )

    def is_school_day(self, day: date) -> bool:
        """A day teachers are at school: Monday to Friday, not a public holiday, not the school
        calendar's own day, not in `school_holidays` (whatever the service days or
        `periods_off`)."""
        day = self._day(day)
        return (
            day.weekday() < 5
            and not is_public_holiday(day)
            and not self.school.is_own_day(day)
            and not _in_periods(day, self.school_holidays)
        )

    # -- instants ---------------------------------------------------------------------------

    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("BusinessCalendar needs timezone-aware datetimes")
        return instant.astimezone(self.zone)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        """The UTC opening and closing instants of a local day."""
        zone = self.zone
        opens = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def business_minutes(self, start: datetime, end: datetime) -> int:
        """Whole business minutes between two instants (0 when end <= start)."""
        first = self._local(start).date()
        last = self._local(end).date()
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0
        total = timedelta(0)
        day = first
        while day <= last:
            if self.is_business_day(day):
                opens, closes = self._window(day)
                low, high = max(opens, start), min(closes, end)
                if high > low:
                    total += high - low
            day += timedelta(days=1)
        return total // _MINUTE

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant `minutes` business minutes after `start`, in UTC.

        A target that ends exactly at closing time is that closing instant (Friday 16:00 + 60
        minutes = Friday 17:00), not the next opening. `minutes=0` gives the first business
        instant at or after `start`: `start` itself during service hours (closing time
        included), otherwise the next opening.
        """
        if minutes < 0:
            raise ValueError("minutes must be >= 0")
        current = start.astimezone(UTC)
        remaining = timedelta(minutes=minutes)
        day = self._local(start).date()
        idle = 0
        while True:
            if self.is_business_day(day):
                idle = 0
                opens, closes = self._window(day)
                low = max(opens, current)
                if low <= closes:
                    available = closes - low
                    if remaining <= available:
                        return low + remaining
                    remaining -= available
                    current = closes
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError("the calendar has no business day left")
            day += timedelta(days=1)

    def next_business_instant(self, instant: datetime) -> datetime:
        """The first business instant at or after `instant` (UTC)."""
        return self.add_business_minutes(instant, 0)
