"""Dates of visits: local Brussels time in forms, UTC in the database, the portal's wording.

Pure functions (Babel formats the dates, Flask-Babel translates the words; no HTTP). A visit on
a weekend, a Belgian public holiday, the school calendar's own day (27 September, or 15 November
in the German-speaking Community), in the school's holidays or on a Wednesday afternoon asks for
a confirmation (visit_warning). A visit is planned at most `horizon` days ahead and recorded at
most `horizon` days back (horizon_problem); the message that announces it never keeps the
« DATE » and « HEURE » placeholders (fill_placeholders).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date, format_time
from babel.lists import format_list
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.time import BRUSSELS
from app.sla.calendar import FWB, SchoolCalendar, public_holiday_name

# The day as each language writes it (« 3 mars 2026 », « 3. März 2026 »).
DAY_PATTERNS = {"fr_BE": "d MMMM y", "de_BE": "d. MMMM y"}


def locale() -> str:
    """The locale of the text being written (a page's, or a mail's recipient's): fr_BE or de_BE.

    Read from Flask-Babel's current locale (which `force_locale` sets for a mail), not from
    app.core.locales: this module stays free of Flask."""
    current = get_locale()
    return "de_BE" if current is not None and current.language == "de" else "fr_BE"


def to_utc(day: date, at: time) -> datetime:
    """A wall-clock time in Brussels as a UTC instant (the first one if the clock went back)."""
    local = datetime.combine(day, at).replace(tzinfo=BRUSSELS, fold=0)
    return local.astimezone(UTC)


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(BRUSSELS)


def first_of_month(pattern: str, day: date, where: str) -> str:
    """`pattern` with French's « 1er » for the first day of a month (« le 1er novembre »).

    Babel writes « 1 novembre »; German's « 1. November » needs nothing."""
    if day.day == 1 and where.startswith("fr"):
        return re.sub(r"(?<![d'])d(?!d)", "d'er'", pattern, count=1)
    return pattern


def day_text(day: date) -> str:
    """« 3 mars 2026 », « 1er mars 2026 », « 3. März 2026 »."""
    where = locale()
    pattern = first_of_month(DAY_PATTERNS.get(where, "d MMMM y"), day, where)
    return format_date(day, pattern, locale=where)


def date_text(instant: datetime) -> str:
    """« 3 mars 2026 », the day in Brussels."""
    return day_text(to_local(instant).date())


def time_text(instant: datetime) -> str:
    """« 10:00 »."""
    return format_time(to_local(instant), "HH:mm", locale=locale())


def planned_message(instant: datetime, language: str | None = None) -> str:
    """The message suppliers are asked to write (docs/domain.md), filled in for the date, in
    `language` (the school's, who reads it; the current locale's when None)."""
    with force_locale(language) if language else nullcontext():
        return _(
            "Bonjour,\nL’intervention est prévue le %(date)s à %(time)s.",
            date=date_text(instant),
            time=time_text(instant),
        )


# The words of the message a page shows before a date is chosen (without JavaScript, always),
# in French and in German (the catalogue's « DATUM » and « UHRZEIT »).
PLACEHOLDERS = re.compile(r"\b(DATE|HEURE|DATUM|UHRZEIT)\b")


def fill_placeholders(message: str, instant: datetime, language: str | None = None) -> str:
    """The message with « DATE » and « HEURE », wherever they remain, replaced by the visit's
    date and time (written in `language`): the person may have added a line to the prefilled
    text without touching them."""
    with force_locale(language) if language else nullcontext():
        day, hour = date_text(instant), time_text(instant)
    texts = {"DATE": day, "DATUM": day, "HEURE": hour, "UHRZEIT": hour}
    return PLACEHOLDERS.sub(lambda match: texts[match.group(1)], message)


def is_past(instant: datetime, now: datetime) -> bool:
    return instant < now


# How far ahead a visit may be planned, and how far back one done on the spot may be recorded.
DEFAULT_HORIZON_DAYS = 365
PAST_PLAN = _l("Cette date est déjà passée.")
FUTURE_VISIT = _l("Une visite déjà faite ne peut pas être dans le futur.")


def horizon_problem(day: date, today: date, horizon_days: int, *, done: bool = False) -> str | None:
    """Why a visit on `day` (Brussels) is out of reach, or None: more than `horizon_days` from
    `today` either way, said for a planned visit or (`done`) a visit made on the spot. A date
    typed wrong (« 31/12/9999 ») would otherwise be accepted and stop the planning clock as if
    the visit had been planned in time; the instant's own past or future is the service's check.
    """
    try:
        reach = timedelta(days=horizon_days)
        earliest, latest = today - reach, today + reach
    except OverflowError:  # a horizon beyond the calendar: no bound
        return None
    if day > latest:
        if done:
            return FUTURE_VISIT
        return _(
            "Cette date est trop lointaine : choisissez-la au plus tard le %(day)s.",
            day=day_text(latest),
        )
    if day < earliest:
        if not done:
            return PAST_PLAN
        return _(
            "Cette date est trop ancienne : indiquez une visite faite le %(day)s ou après.",
            day=day_text(earliest),
        )
    return None


def weekend_warning(instant: datetime) -> str | None:
    """A reason to ask for confirmation when the visit falls on a weekend, or None."""
    local = to_local(instant)
    if local.weekday() >= 5:
        return _confirmation(_day_text(local), [_("un jour de week-end")])
    return None


# Schools in Belgium close at noon on Wednesdays.
WEDNESDAY_NOON = time(12, 0)


# The day as a warning names it (« mercredi 18 février », « Mittwoch, 18. Februar »).
WEEKDAY_PATTERNS = {"fr_BE": "EEEE d MMMM", "de_BE": "EEEE, d. MMMM"}


def _day_text(local: datetime) -> str:
    where = locale()
    pattern = first_of_month(WEEKDAY_PATTERNS.get(where, "EEEE d MMMM"), local.date(), where)
    day = format_date(local, pattern, locale=where)
    return _("Le %(day)s", day=day)


def _confirmation(subject: str, reasons: list[str]) -> str:
    said = format_list(reasons, locale=locale())  # « a, b et c »
    return _(
        "%(subject)s est %(reasons)s : confirmez-vous cette date ?", subject=subject, reasons=said
    )


def visit_reasons(
    instant: datetime,
    school_holidays: Iterable[tuple[date, date, str]] = (),
    school_calendar: SchoolCalendar = FWB,
) -> list[str]:
    """Why a visit at `instant` needs a confirmation, in the reader's language: weekend, Belgian
    public holiday (its name), the school calendar's own day, school holiday (the period's name),
    Wednesday afternoon. `school_holidays`: the (first day, last day, name) periods of
    `school_calendar`, the site's (app.sla.loading.school_days). Empty when the day is an
    ordinary school day."""
    local = to_local(instant)
    day = local.date()
    reasons = []
    if day.weekday() >= 5:
        reasons.append(_("un jour de week-end"))
    holiday = public_holiday_name(day)
    if holiday:
        reasons.append(_("un jour férié (%(name)s)", name=holiday))
    if school_calendar.is_own_day(day):
        reasons.append(_("la %(day)s, jour de congé des écoles", day=school_calendar.day_name))
    for starts_on, ends_on, name in school_holidays:
        if starts_on <= day <= ends_on:
            reasons.append(_("un jour de congé scolaire (« %(name)s »)", name=name))
            break
    if not reasons and day.weekday() == 2 and local.time() >= WEDNESDAY_NOON:
        reasons.append(_wednesday_afternoon())
    return reasons


def _wednesday_afternoon() -> str:
    return _("un mercredi après-midi, quand les écoles sont fermées")


def visit_warning(
    instant: datetime,
    school_holidays: Iterable[tuple[date, date, str]] = (),
    school_calendar: SchoolCalendar = FWB,
) -> str | None:
    """The confirmation to ask before planning a visit at `instant`, or None (see visit_reasons).

    « Le mercredi 18 février est un jour de congé scolaire (« Congé de détente (Carnaval) ») :
    confirmez-vous cette date ? »"""
    reasons = visit_reasons(instant, school_holidays, school_calendar)
    if not reasons:
        return None
    local = to_local(instant)
    subject = _day_text(local)
    if reasons == [_wednesday_afternoon()]:
        subject = _("%(day)s à %(time)s", day=subject, time=time_text(instant))
    return _confirmation(subject, reasons)
