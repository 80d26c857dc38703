"""Jinja filters: dates and times in Europe/Brussels, written the Belgian French way; a ticket's
state as its enum."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime
from markupsafe import Markup

from app.models.outbox import OutboxStatus
from app.tickets.workflow import Status


def datetime_fr(value: datetime | None) -> str:
    """ "20 août 2021 12:15", as the current portal writes it."""
    if value is None:
        return ""
    return format_datetime(value, "d MMMM y HH:mm")


def date_fr(value: date | datetime | None) -> str:
    """ "20 août 2021"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "d MMMM y")
    return format_date(value, "d MMMM y")


def time_tag(value: datetime | None) -> Markup:
    """A <time> element: machine-readable instant, human-readable French text."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), datetime_fr(value))


def phone(value: str | None) -> str:
    from app.tickets.phones import display

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
    app.add_template_filter(time_tag)
