"""Build the business calendar from the configuration, the site's school calendar and the
SchoolHoliday rows.

Settings (read with current_app.config.get, these defaults otherwise):
- RELAIS_SERVICE_HOURS: "09:00-17:00", the local (Europe/Brussels) service hours;
- RELAIS_SERVICE_DAYS: "1-5", the service days, Monday = 1 ("1-5", "1,2,4", "1-3,5").

A site follows one school calendar (Site.school_calendar: the FWB's, or the German-speaking
Community's): its holidays and its own day count for the visits planned there and the clocks of
its tickets. Each calendar's periods are read once per request or job (kept on flask.g).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from flask import current_app, g, has_app_context
from sqlalchemy import select

from app.extensions import db
from app.models.calendar import SchoolHoliday
from app.sla.calendar import FWB, BusinessCalendar, SchoolCalendar, school_calendar

DEFAULT_SERVICE_HOURS = "09:00-17:00"
DEFAULT_SERVICE_DAYS = "1-5"
_G_KEY = "_relais_school_holidays"


def parse_service_hours(raw: str) -> tuple[time, time]:
    """ "09:00-17:00" → (time(9), time(17)); ValueError with a one-line message otherwise."""
    try:
        first, second = (part.strip() for part in str(raw).split("-"))
        opens, closes = time.fromisoformat(first), time.fromisoformat(second)
    except ValueError as exc:
        raise ValueError(f"RELAIS_SERVICE_HOURS: expected HH:MM-HH:MM, got {raw!r}") from exc
    if not opens < closes:
        raise ValueError(f"RELAIS_SERVICE_HOURS: opening must come before closing ({raw!r})")
    return opens, closes


def parse_service_days(raw: str) -> frozenset[int]:
    """ "1-5" (Monday = 1) → frozenset({0, 1, 2, 3, 4}) (Monday = 0, as datetime.weekday)."""
    days: set[int] = set()
    try:
        for part in str(raw).split(","):
            part = part.strip()
            if "-" in part:
                low, high = (int(x) for x in part.split("-"))
            else:
                low = high = int(part)
            if not 1 <= low <= high <= 7:
                raise ValueError(part)
            days.update(range(low - 1, high))
    except ValueError as exc:
        message = f"RELAIS_SERVICE_DAYS: expected days 1 (Monday) to 7, got {raw!r}"
        raise ValueError(message) from exc
    return frozenset(days)


def school_calendar_of(site=None) -> SchoolCalendar:
    """The school calendar a site follows (the FWB's when there is no site)."""
    return school_calendar(getattr(site, "school_calendar", None))


def named_school_holidays(calendar: str = FWB.code) -> tuple[tuple[date, date, str], ...]:
    """The SchoolHoliday periods of one school calendar as (first day, last day, name), sorted;
    one query per calendar and request or job (kept on flask.g)."""
    kept = g.setdefault(_G_KEY, {}) if has_app_context() else {}
    if calendar in kept:
        return kept[calendar]
    rows = db.session.execute(
        select(SchoolHoliday.starts_on, SchoolHoliday.ends_on, SchoolHoliday.name)
        .where(SchoolHoliday.calendar == calendar)
        .order_by(SchoolHoliday.starts_on)
    ).all()
    kept[calendar] = tuple((row.starts_on, row.ends_on, row.name) for row in rows)
    return kept[calendar]


def school_holiday_periods(calendar: str = FWB.code) -> tuple[tuple[date, date], ...]:
    """One calendar's periods as (first day, last day) pairs (see named_school_holidays)."""
    return tuple((first, last) for first, last, _name in named_school_holidays(calendar))


def school_days(site=None) -> tuple[tuple[tuple[date, date, str], ...], SchoolCalendar]:
    """What a visit at `site` is checked against (app.tickets.planning.visit_warning): the named
    holidays of its school calendar, and that calendar."""
    calendar = school_calendar_of(site)
    return named_school_holidays(calendar.code), calendar


def forget_school_holidays() -> None:
    """Drop the periods kept on flask.g (after a change in the same request or job)."""
    if has_app_context():
        g.pop(_G_KEY, None)


def _periods(school_holidays: Iterable | None, calendar: str) -> tuple[tuple[date, date], ...]:
    if school_holidays is None:
        return school_holiday_periods(calendar)
    out = []
    for item in school_holidays:
        if isinstance(item, SchoolHoliday):
            out.append((item.starts_on, item.ends_on))
        else:
            out.append((item[0], item[1]))  # (first, last) or (first, last, name)
    return tuple(out)


def calendar_for(
    supplier=None, *, site=None, school: str | None = None, school_holidays=None
) -> BusinessCalendar:
    """The business calendar of `supplier` (or the default one) for a ticket at `site`.

    The site's school calendar (`school`, a code, when given; the FWB's without either) gives
    the own day that is closed (27 September or 15 November) and the school holidays.
    `school_holidays`: the periods to use, as SchoolHoliday rows or (first, last[, name])
    tuples; None reads them from the database. They always feed is_school_day, and count as days
    off when the supplier follows school holidays (Supplier.follows_school_holidays).
    """
    config = current_app.config
    opens, closes = parse_service_hours(
        config.get("RELAIS_SERVICE_HOURS", DEFAULT_SERVICE_HOURS) or DEFAULT_SERVICE_HOURS
    )
    weekdays = parse_service_days(
        config.get("RELAIS_SERVICE_DAYS", DEFAULT_SERVICE_DAYS) or DEFAULT_SERVICE_DAYS
    )
    calendar = school_calendar(school) if school else school_calendar_of(site)
    periods = _periods(school_holidays, calendar.code)
    follows = bool(getattr(supplier, "follows_school_holidays", False))
    return BusinessCalendar(
        opens=opens,
        closes=closes,
        weekdays=weekdays,
        periods_off=periods if follows else (),
        school_holidays=periods,
        school=calendar,
    )
