"""Jinja filters: dates, times and numbers in Europe/Brussels, the Belgian way of the page's
language (fr_BE « 20 août 2021 à 12:15 », « 1er mars 2026 », de_BE « 20. August 2021 um
12:15 »); a ticket's state as its enum; phone numbers grouped the Belgian way.

The filters keep their historical names (`date_fr`, `datetime_fr`); Flask-Babel formats with the
locale of the page, or of the mail's recipient (app.core.locales)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal
from markupsafe import Markup

from app.core.locales import current_language
from app.models.outbox import OutboxStatus
from app.tickets.phones import InvalidPhone, display, normalise
from app.tickets.planning import first_of_month, to_local
from app.tickets.states import Status

# Babel's patterns per language: the French ones are those the portal always wrote.
DATE_PATTERNS = {"fr": "d MMMM y", "de": "d. MMMM y"}
# « 20 août 2021 à 12:15 »: a date and its time are joined by « à » (« um »), as people write.
DATETIME_PATTERNS = {"fr": "d MMMM y 'à' HH:mm", "de": "d. MMMM y 'um' HH:mm"}


def _pattern(patterns: dict[str, str], day: date) -> str:
    """The language's pattern, with French's « 1er » on the first day of a month."""
    language = current_language()
    return first_of_month(patterns[language], day, language)


def datetime_fr(value: datetime | None) -> str:
    """ "20 août 2021 à 12:15", "1er mars 2026 à 09:00" ("20. August 2021 um 12:15")."""
    if value is None:
        return ""
    local = to_local(value) if value.tzinfo else value
    return format_datetime(value, _pattern(DATETIME_PATTERNS, local.date()))


def date_fr(value: date | datetime | None) -> str:
    """ "20 août 2021", "1er mars 2026" ("20. August 2021")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = to_local(value) if value.tzinfo else value
        return format_datetime(value, _pattern(DATE_PATTERNS, local.date()))
    return format_date(value, _pattern(DATE_PATTERNS, value))


def number(value: int | float | None) -> str:
    """ "1 234,5" in French, "1.234,5" in German (Belgian conventions)."""
    if value is None:
        return ""
    return format_decimal(value)


def time_tag(value: datetime | None) -> Markup:
    """A <time> element: machine-readable instant, human-readable text."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), datetime_fr(value))


def phone(value: str | None) -> str:
    """A phone number grouped the Belgian way, whatever form it was stored in (« 081 12 34 56 »,
    « 0470 12 34 56 »): every page, mail and calendar shows numbers through it."""
    return display(value or "")


def tel(value: str | None) -> str:
    """The number for a « tel: » link (E.164, « +3281123456 »); as stored when it cannot be read."""
    try:
        return normalise(value or "")
    except InvalidPhone:
        return (value or "").replace(" ", "")


def ticket_status(value: str | Status) -> Status:
    """A ticket's stored state as the enum that gives its word and badge (tickets/_status.html)."""
    return Status(value)


def register(app: Flask) -> None:
    # Templates compare an outbox message's state with the enum, never with a bare string.
    app.jinja_env.globals["OutboxStatus"] = OutboxStatus
    app.add_template_filter(ticket_status)
    app.add_template_filter(phone)
    app.add_template_filter(tel)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(date_fr)
    app.add_template_filter(number)
    app.add_template_filter(time_tag)
