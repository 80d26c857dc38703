"""When a finished ticket closes by itself, and when its teacher is reminded (docs/domain.md,
« Automatic closures and reminders »): the dates only. The job that acts on them is
app.tickets.autoclose; the approval mail states the date (app.mail_actions.links).

A ticket TERMINÉ closes after its request type's `auto_close_days` (15) days, counted from the
moment it entered TERMINÉ (`status_changed_at`); in school days when the request type says
`auto_close_school_days`. `RELAIS_AUTO_CLOSE_REMINDER_DAYS` (3) days before, the teacher is
reminded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from app.core.time import BRUSSELS
from app.models import RequestType, Ticket
from app.sla.loading import calendar_for
from app.tickets.states import Status

DEFAULT_DAYS = 15
DEFAULT_REMINDER_DAYS = 3
# A calendar without a single school day in this many days is a configuration error.
_MAX_SEARCH_DAYS = 3 * 366


def reminder_days() -> int:
    return int(current_app.config.get("RELAIS_AUTO_CLOSE_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def _days(request_type: RequestType | None) -> int:
    return (request_type.auto_close_days if request_type else None) or DEFAULT_DAYS


def counts_school_days(ticket: Ticket) -> bool:
    return bool(ticket.request_type and ticket.request_type.auto_close_school_days)


def calendar_of(ticket: Ticket, calendar):
    if calendar is not None:
        return calendar
    return calendar_for(ticket.supplier, site=ticket.site)


def add_school_days(start: datetime, days: int, calendar) -> datetime:
    """The instant `days` school days after `start`: the same Brussels wall-clock time on the
    `days`-th school day after start's own day (with every day a school day: start + days)."""
    local = start.astimezone(BRUSSELS)
    day, counted, walked = local.date(), 0, 0
    while counted < days:
        day += timedelta(days=1)
        walked += 1
        if walked > _MAX_SEARCH_DAYS:
            raise ValueError("the calendar has no school day in three years")
        if calendar.is_school_day(day):
            counted += 1
    wall = datetime.combine(day, local.time().replace(tzinfo=None)).replace(tzinfo=BRUSSELS)
    return wall.astimezone(UTC)


def due_at(ticket: Ticket, calendar=None) -> datetime | None:
    """When a finished ticket closes by itself (None when it is not TERMINÉ)."""
    if ticket.status != Status.DONE:
        return None
    days = _days(ticket.request_type)
    start = ticket.status_changed_at
    if counts_school_days(ticket):
        return add_school_days(start, days, calendar_of(ticket, calendar))
    return start + timedelta(days=days)


def reminder_at(ticket: Ticket, calendar=None, *, due: datetime | None = None) -> datetime | None:
    """When the teacher is reminded: RELAIS_AUTO_CLOSE_REMINDER_DAYS days before the closure
    (None when not TERMINÉ, when the setting is 0, or when that falls before the finish)."""
    due = due or due_at(ticket, calendar)
    days = reminder_days()
    if due is None or days <= 0:
        return None
    at = due - timedelta(days=days)
    return at if at > ticket.status_changed_at else None
