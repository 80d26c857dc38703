"""Dates of visits: local Brussels time in forms, UTC in the database, the seed's wording in texts.

Pure functions (Babel formats the French dates; no Flask).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

BRUSSELS = ZoneInfo("Europe/Brussels")
LOCALE = "fr_BE"


def to_utc(day: date, at: time) -> datetime:
    """A wall-clock time in Brussels as a UTC instant (the first one if the clock went back)."""
    local = datetime.combine(day, at).replace(tzinfo=BRUSSELS, fold=0)
    return local.astimezone(UTC)


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(BRUSSELS)


def date_text(instant: datetime) -> str:
    """« 3 mars 2026 »."""
    return format_date(to_local(instant), "d MMMM y", locale=LOCALE)


def time_text(instant: datetime) -> str:
    """« 10:00 »."""
    return format_time(to_local(instant), "HH:mm", locale=LOCALE)


def planned_message(instant: datetime) -> str:
    """The message the seed asks suppliers to write, filled in for the chosen date."""
    return f"Bonjour,\nL’intervention est prévue le {date_text(instant)} à {time_text(instant)}."


def is_past(instant: datetime, now: datetime) -> bool:
    return instant < now


def weekend_warning(instant: datetime) -> str | None:
    """A reason to ask for confirmation, or None (public and school holidays come with SLA work)."""
    local = to_local(instant)
    if local.weekday() >= 5:
        day = format_date(local, "EEEE d MMMM", locale=LOCALE)
        return f"Le {day} est un jour de week-end : confirmez-vous cette date ?"
    return None
