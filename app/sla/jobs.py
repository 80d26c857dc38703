"""The periodic work of the service levels (app.scheduling.registry: every 5 minutes).

`run_due` finds, through indexed queries, what is due and handles each ticket in a transaction
of its own (one failure is logged and leaves the others alone):

- « bientôt en retard »: a running clock with at most RELAIS_SLA_WARNING_MINUTES business
  minutes left, not yet past its due time → one event "sla_warning" per ticket, mailed to the
  assistant in charge and the coordinators; each clock is warned once (`warned_at`). The job
  runs every few minutes, so each clock crosses that window; one already late (the job stopped
  for hours, a clock resumed past its due time) is in the « En retard » list, not in a mail;
- a question to the school unanswered after RELAIS_INFO_REMINDER_DAYS business days → one
  reminder to the contact ("info_reminder", `reminded_at`);
- unanswered after RELAIS_INFO_CLOSE_DAYS business days → the ticket is closed by the system
  (workflow action CLOSE_UNANSWERED, event "closed_unanswered" saying why).

Business days count on the calendar of the supplier holding the ticket, with the school calendar
of the ticket's site. Each step is idempotent:
rows are checked again under the ticket's row lock, so two runs at once do the work once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.jobs import job_context
from app.models import ServiceClock, Site, Supplier, Ticket, TicketPause
from app.models.types import utcnow
from app.sla import clocks, pauses
from app.sla.calendar import FWB, SCHOOL_CALENDARS, BusinessCalendar
from app.sla.display import clock_line
from app.sla.holidays import fill_provisional
from app.sla.loading import calendar_for
from app.sla.settings import close_days, reminder_days, warning_minutes
from app.tickets import activity
from app.tickets.events import EventKind
from app.tickets.planning import to_local
from app.tickets.service import close_unanswered as close

log = logging.getLogger(__name__)


def day_minutes(cal: BusinessCalendar) -> int:
    opens = cal.opens.hour * 60 + cal.opens.minute
    closes = cal.closes.hour * 60 + cal.closes.minute
    return closes - opens


def _calendars() -> list[BusinessCalendar]:
    """The calendars in use: for each school calendar of a site, the default one and one with
    the school holidays off if a supplier follows them (the widest bound of all keeps the
    queries exact)."""
    follower = db.session.scalar(
        select(Supplier).where(Supplier.follows_school_holidays.is_(True)).limit(1)
    )
    codes = sorted(set(db.session.scalars(select(Site.school_calendar).distinct())) | {FWB.code})
    found = [calendar_for(None, school=code) for code in codes]
    if follower is not None:
        found += [calendar_for(follower, school=code) for code in codes]
    return found


def _ticket_calendar(ticket: Ticket) -> BusinessCalendar:
    return calendar_for(ticket.supplier, site=ticket.site)


# ------------------------------------------------------------------ warnings


def warning_text(ticket: Ticket, due: list[ServiceClock], now: datetime) -> str:
    lines, seen = [], set()
    for clock in due:
        cal = clocks.calendar_of(ticket, clock)
        line = clock_line(clock, now, cal, supplier=clock.supplier if clock.supplier_id else None)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return "\n".join(lines)


def warn_ticket(ticket_id: int, clock_ids: list[int], now: datetime) -> bool:
    """One warning for the clocks of one ticket that are about to break; False if none is."""
    window = warning_minutes()
    with activity.change() as outbox:
        ticket = activity.load_for_update(ticket_id)
        candidates = db.session.scalars(
            select(ServiceClock)
            .where(
                ServiceClock.id.in_(clock_ids),
                ServiceClock.stopped_at.is_(None),
                ServiceClock.warned_at.is_(None),
                ServiceClock.due_at.is_not(None),
            )
            .order_by(ServiceClock.due_at, ServiceClock.id)
            .execution_options(populate_existing=True)
        ).all()
        due = [
            c
            for c in candidates
            if c.due_at > now
            and 0 < clocks.remaining(c, now, clocks.calendar_of(ticket, c)) <= window
        ]
        if not due:
            return False
        for clock in due:
            clock.warned_at = now
        body = warning_text(ticket, due, now)
        data = {"clocks": [c.id for c in due]}
        # For EN staff only: the assistant in charge and the coordinators are told.
        event = activity.record(
            ticket, None, EventKind.SLA_WARNING, body=body, now=now, data=data, internal=True
        )
        outbox.announce(ticket, event, None)
    return True


def send_warnings(now: datetime) -> int:
    window = warning_minutes()
    bound = max(cal.add_business_minutes(now, window) for cal in _calendars())
    rows = db.session.execute(
        select(ServiceClock.id, ServiceClock.ticket_id)
        .where(
            ServiceClock.stopped_at.is_(None),
            ServiceClock.due_at > now,
            ServiceClock.due_at <= bound,
            ServiceClock.warned_at.is_(None),
        )
        .order_by(ServiceClock.due_at)
    ).all()
    db.session.rollback()  # end the read: each ticket then gets a transaction of its own
    by_ticket: dict[int, list[int]] = defaultdict(list)
    for clock_id, ticket_id in rows:
        by_ticket[ticket_id].append(clock_id)
    return _each(by_ticket.items(), lambda item: warn_ticket(item[0], item[1], now))


# ------------------------------------------------------------------ questions to the school


def _open_questions(now: datetime, days: int, *, unreminded: bool = False):
    """Open questions that may be `days` business days old (the exact count is checked after)."""
    oldest = now - timedelta(days=max(0, days - 1))
    query = select(TicketPause.id, TicketPause.ticket_id).where(
        TicketPause.kind == pauses.INFORMATION,
        TicketPause.ended_at.is_(None),
        TicketPause.started_at <= oldest,
    )
    if unreminded:
        query = query.where(TicketPause.reminded_at.is_(None))
    rows = db.session.execute(query.order_by(TicketPause.started_at)).all()
    db.session.rollback()  # end the read: each ticket then gets a transaction of its own
    return rows


def _business_days_passed(ticket: Ticket, started_at: datetime, now: datetime, days: int) -> bool:
    cal = _ticket_calendar(ticket)
    return cal.business_minutes(started_at, now) >= days * day_minutes(cal)


def remind_school(pause_id: int, ticket_id: int, now: datetime) -> bool:
    days = reminder_days()
    with activity.change() as outbox:
        ticket = activity.load_for_update(ticket_id)
        question = db.session.scalar(
            select(TicketPause)
            .where(TicketPause.id == pause_id)
            .execution_options(populate_existing=True)
        )
        if (
            question is None
            or question.ended_at is not None
            or question.reminded_at is not None
            or ticket.is_final
            or not _business_days_passed(ticket, question.started_at, now, days)
        ):
            return False
        outbox.announce(ticket, pauses.remind(ticket, question, now), None)
    return True


def send_reminders(now: datetime) -> int:
    rows = _open_questions(now, reminder_days(), unreminded=True)
    return _each(rows, lambda row: remind_school(row[0], row[1], now))


def close_unanswered(now: datetime) -> int:
    days = close_days()
    rows = _open_questions(now, days)

    def one(row) -> bool:
        pause_id, ticket_id = row
        ticket = db.session.get(Ticket, ticket_id)
        question = db.session.get(TicketPause, pause_id)
        due = _business_days_passed(ticket, question.started_at, now, days)
        db.session.rollback()
        return due and close(ticket_id, pause_id, days=days, now=now) is not None

    return _each(rows, one)


# ------------------------------------------------------------------ the job


def _each(items, work) -> int:
    done = 0
    for item in items:
        try:
            if work(item):
                done += 1
        except Exception:  # one ticket's failure must not stop the others
            db.session.rollback()
            log.exception("service levels: %r failed", item)
    return done


def run_due(now: datetime | None = None) -> dict[str, int]:
    """Warnings, reminders and closures due at `now` (default: the current time)."""
    with job_context():
        now = now or utcnow()
        closed = close_unanswered(now)
        reminded = send_reminders(now)
        warned = send_warnings(now)
        result = {"warned": warned, "reminded": reminded, "closed": closed}
        if any(result.values()):
            log.info("service levels: %s", result)
        return result


# ------------------------------------------------------------------ school holidays


def extend_school_holidays(now: datetime | None = None) -> dict[str, int]:
    """Daily: give every school calendar provisional dates (derived from its rules) for the
    school years ahead that have none yet, so that the calendars never run out."""
    with job_context():
        today = to_local(now or utcnow()).date()
        added = 0
        for code in SCHOOL_CALENDARS:
            added += len(fill_provisional(code, today))
        db.session.commit()
        if added:
            log.info("school holidays: %s provisional period(s) derived", added)
        return {"added": added}
