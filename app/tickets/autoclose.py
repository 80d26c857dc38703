"""The automatic closure of finished tickets (docs/domain.md, « Automatic closures and reminders »).

A ticket TERMINÉ closes by itself after its request type's `auto_close_days` (15) days without
the school's answer, counted from the moment it entered TERMINÉ (`status_changed_at`). When the
request type says `auto_close_school_days`, those days are school days only (the business
calendar's `is_school_day`): a ticket finished in early July waits for the teachers' return.
`RELAIS_AUTO_CLOSE_REMINDER_DAYS` (3) days before, the teacher is reminded once per round; a
reopening starts a new round, and the next finish a new count.

`run_due` is the periodic job (app.scheduling.registry): it finds the finished tickets whose
reminder or closure is due with one indexed query on (status, status_changed_at), then handles
each ticket in a transaction of its own, so that one failure never stops the others. Running it
late, twice or from two places at once does no harm: both the reminder and the closure are
decided again under the ticket's row lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.jobs import job_context
from app.models import RequestType, Ticket, TicketEvent
from app.models.types import utcnow
from app.tickets import activity, service
from app.tickets.deadlines import (
    DEFAULT_DAYS,
    DEFAULT_REMINDER_DAYS,
    add_school_days,
    calendar_of,
    counts_school_days,
    due_at,
    reminder_at,
    reminder_days,
)
from app.tickets.events import EventKind
from app.tickets.workflow import Status

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_REMINDER_DAYS",
    "add_school_days",
    "due_at",
    "reminder_at",
    "reminder_days",
    "run_due",
    "send_reminder",
]

log = logging.getLogger(__name__)

REMINDER_KIND = EventKind.AUTO_CLOSE_REMINDER


# ------------------------------------------------------------------------------ the job


def run_due(now: datetime | None = None, *, calendar=None) -> dict:
    """Remind and close what is due at `now`: {"closed": n, "reminded": n, "failed": n}."""
    with job_context():
        return _run(now or utcnow(), calendar)


def _candidates(now: datetime) -> list[int]:
    """Finished tickets whose reminder may be due: each closure needs at least
    `auto_close_days` calendar days (a school day is at least a day), the reminder
    RELAIS_AUTO_CLOSE_REMINDER_DAYS fewer. One range query on (status, status_changed_at)."""
    shortest = db.session.scalar(select(func.min(RequestType.auto_close_days))) or DEFAULT_DAYS
    lead = max(shortest - max(reminder_days(), 0), 0)
    query = (
        select(Ticket.id)
        .where(Ticket.status == Status.DONE.value)
        .where(Ticket.status_changed_at <= now - timedelta(days=lead))
        .order_by(Ticket.status_changed_at, Ticket.id)
    )
    ids = list(db.session.scalars(query))
    db.session.rollback()  # end the read; each ticket gets its own transaction
    return ids


def _run(now: datetime, calendar) -> dict:
    counts = {"closed": 0, "reminded": 0, "failed": 0}
    calendars: dict = {}
    for ticket_id in _candidates(now):
        try:
            ticket = db.session.scalar(
                select(Ticket)
                .where(Ticket.id == ticket_id)
                .options(joinedload(Ticket.request_type), joinedload(Ticket.supplier))
                .execution_options(populate_existing=True)
            )
            if ticket is None or ticket.status != Status.DONE:
                db.session.rollback()
                continue
            cal = calendar
            if cal is None and counts_school_days(ticket):
                key = ticket.supplier_id
                if key not in calendars:
                    calendars[key] = calendar_of(ticket, None)
                cal = calendars[key]
            due = due_at(ticket, cal)
            if due is not None and due <= now:
                if service.auto_close(ticket.id, now=now, expected_round=ticket.round):
                    counts["closed"] += 1
                continue
            remind = reminder_at(ticket, cal, due=due)
            if remind is not None and remind <= now:
                if send_reminder(ticket.id, now=now, expected_round=ticket.round, due=due):
                    counts["reminded"] += 1
                continue
            db.session.rollback()
        except Exception:
            db.session.rollback()
            counts["failed"] += 1
            log.exception("Automatic closure: ticket %s failed", ticket_id)
    return counts


def reminded(ticket_id: int, round_: int) -> bool:
    """Whether the reminder of this round was already sent (one per round)."""
    rows = db.session.scalars(
        select(TicketEvent.data).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == REMINDER_KIND
        )
    )
    return any((data or {}).get("round") == round_ for data in rows)


def send_reminder(
    ticket_id: int, *, now: datetime, expected_round: int, due: datetime | None = None
) -> TicketEvent | None:
    """Remind the teacher that their answer is awaited, once per round (None: nothing to do).

    Recorded as an event (the activity shows it) without touching the ticket row, so that the
    version a person is looking at stays valid.
    """
    with activity.change() as outbox:
        ticket = activity.load_for_update(ticket_id)
        if (
            ticket.status != Status.DONE
            or ticket.round != expected_round
            or reminded(ticket.id, ticket.round)
        ):
            return None
        data = {"round": ticket.round}
        if due is not None:
            data["due_at"] = due.isoformat()
        event = activity.record(ticket, None, REMINDER_KIND, now=now, data=data)
        outbox.announce(ticket, event, None)
    return event
