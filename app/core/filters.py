"""Jinja filters: dates, times and numbers in Europe/Brussels, the Belgian way of the page's
language (fr_BE « 20 août 2021 12:15 », de_BE « 20. August 2021 12:15 »); a ticket's state as
its enum.

The filters keep their historical names (`date_fr`, `datetime_fr`); Flask-Babel formats with the
locale of the page, or of the mail's recipient (app.core.locales)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal
from markupsafe import Markup

from app.core.locales import current_language
from app.models.outbox import OutboxStatus
from app.tickets.phones import display
from app.tickets.states import Status

# Babel's patterns per language: the French ones are those the portal always wrote.
DATE_PATTERNS = {"fr": "d MMMM y", "de": "d. MMMM y"}
DATETIME_PATTERNS = {"fr": "d MMMM y HH:mm", "de": "d. MMMM y HH:mm"}


def datetime_fr(value: datetime | None) -> str:
    """ "20 août 2021 12:15" ("20. August 2021 12:15" in German)."""
    if value is None:
        return ""
    return format_datetime(value, DATETIME_PATTERNS[current_language()])


def date_fr(value: date | datetime | None) -> str:
    """ "20 août 2021" ("20. August 2021")."""
    if value is None:
        return ""
    pattern = DATE_PATTERNS[current_language()]
    if isinstance(value, datetime):
        return format_datetime(value, pattern)
    return format_date(value, pattern)


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
    return display(value or "")


def ticket_status(value: str | Status) -> Status:
    """A ticket's stored state as the enum that gives its word and badge (tickets/_status.html)."""
    return Status(value)


def register(app: Flask) -> None:
    # Templates compare an outbox message's state with the enum, never with a bare string.
    app.jinja_env.globals["OutboxStatus"] = OutboxStatus
    app.add_template_filter(ticket_status)
    app.add_template_filter(phone)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(date_fr)
    app.add_template_filter(number)
    app.add_template_filter(time_tag)
