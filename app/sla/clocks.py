"""Service-level clocks: when they start, stop, pause and resume (docs/domain.md).

Two targets per round of the procedure, from the request type (in business hours):
« prise en compte » (`plan`: the visit planned, or the work finished on the spot) and
« résolution » (`resolve`: TERMINÉ). Each runs twice:

- the ticket's own clocks (supplier_id empty) run from its creation, and start over at each
  reopening (a new round: the procedure starts over);
- each supplier holding the ticket has clocks of its own from its assignment; a reassignment
  stops the previous company's with the outcome "reassigned" and starts fresh ones for the new
  company (a send-back to the EN team stops them too, and none run until a new company holds it).

A clock stops with "met" or "breached" when its target is reached, "cancelled" when the ticket
is cancelled, "closed" when a round ends without reaching it (closure, closure without an
answer). While the ticket is paused (app.sla.pauses) its running clocks have no due time; on
resuming, the paused business time is added to `paused_minutes` and the due time moves by as
much. `spent_minutes` = business minutes from start to stop, paused time excluded.

Times are counted on the calendar of the supplier a clock measures (the ticket's own clocks:
the supplier holding the ticket, or the default calendar when none does), with the school
calendar of the ticket's site: app.sla.loading.

The functions below the line "rules" are called inside the ticket service's transaction (by
app.sla.pauses, and by app.sla.reactions, which follows each event's `clocks`): they add and
change rows, never commit. The small functions above it are pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import RequestType, ServiceClock, Supplier, Ticket, TicketPause
from app.sla.calendar import BusinessCalendar
from app.sla.loading import calendar_for

PLAN, RESOLVE = "plan", "resolve"
KINDS = (PLAN, RESOLVE)
MET, BREACHED = "met", "breached"
REASSIGNED, CANCELLED, CLOSED = "reassigned", "cancelled", "closed"


# ------------------------------------------------------------------ pure arithmetic


def target_minutes(request_type: RequestType, kind: str) -> int:
    hours = request_type.take_into_account_hours if kind == PLAN else request_type.resolve_hours
    return int(hours) * 60


def due_time(clock: ServiceClock, calendar: BusinessCalendar) -> datetime:
    """The due time of a running clock: its target after its start, plus the paused time."""
    return calendar.add_business_minutes(
        clock.started_at, clock.target_minutes + clock.paused_minutes
    )


def paused_since(
    clock: ServiceClock, pause_started: datetime | None, until: datetime, cal: BusinessCalendar
) -> int:
    """Business minutes of the open pause (started at `pause_started`) that count for `clock`."""
    if pause_started is None:
        return 0
    return cal.business_minutes(max(pause_started, clock.started_at), until)


def spent(
    clock: ServiceClock,
    until: datetime,
    cal: BusinessCalendar,
    pause_started: datetime | None = None,
) -> int:
    """Business minutes the clock has run by `until`, paused time excluded."""
    total = cal.business_minutes(clock.started_at, until)
    paused = clock.paused_minutes + paused_since(clock, pause_started, until, cal)
    return max(0, total - paused)


def remaining(
    clock: ServiceClock,
    now: datetime,
    cal: BusinessCalendar,
    pause_started: datetime | None = None,
) -> int:
    """Business minutes left before the target (negative: by how much it is exceeded)."""
    return clock.target_minutes - spent(clock, now, cal, pause_started)


def outcome_for(clock: ServiceClock) -> str:
    return MET if (clock.spent_minutes or 0) <= clock.target_minutes else BREACHED


# ------------------------------------------------------------------ reading


def running_clocks(ticket_id: int) -> list[ServiceClock]:
    return list(
        db.session.scalars(
            select(ServiceClock)
            .where(ServiceClock.ticket_id == ticket_id, ServiceClock.stopped_at.is_(None))
            .order_by(ServiceClock.id)
        )
    )


def open_pause(ticket_id: int) -> TicketPause | None:
    return db.session.scalar(
        select(TicketPause)
        .where(TicketPause.ticket_id == ticket_id, TicketPause.ended_at.is_(None))
        .order_by(TicketPause.id.desc())
        .limit(1)
    )


def calendar_of(ticket: Ticket, clock: ServiceClock) -> BusinessCalendar:
    """The calendar `clock` counts on: its supplier's, or the holding supplier's for the
    ticket's own clocks, with the school calendar of the ticket's site."""
    if clock.supplier_id is None or clock.supplier_id == ticket.supplier_id:
        return calendar_for(ticket.supplier, site=ticket.site)
    return calendar_for(db.session.get(Supplier, clock.supplier_id), site=ticket.site)


# ------------------------------------------------------------------ rules


def start_clocks(
    ticket: Ticket, supplier_id: int | None, now: datetime, *, paused: bool = False
) -> list[ServiceClock]:
    """Both clocks of the current round, for the ticket (None) or a supplier."""
    clocks = []
    for kind in KINDS:
        clock = ServiceClock(
            ticket=ticket,
            ticket_id=ticket.id,
            round=ticket.round,
            supplier_id=supplier_id,
            kind=kind,
            started_at=now,
            target_minutes=target_minutes(ticket.request_type, kind),
            paused_minutes=0,
        )
        clock.due_at = None if paused else due_time(clock, calendar_of(ticket, clock))
        db.session.add(clock)
        clocks.append(clock)
    return clocks


def stop_clocks(
    ticket: Ticket,
    clocks: Iterable[ServiceClock],
    at: datetime,
    outcome: str | None = None,
    *,
    pause: TicketPause | None = None,
) -> list[ServiceClock]:
    """Stop `clocks` at `at`: "met"/"breached" when no `outcome` is given (the target reached)."""
    stopped = []
    for clock in clocks:
        cal = calendar_of(ticket, clock)
        at_ = max(at, clock.started_at)
        clock.spent_minutes = spent(clock, at_, cal, pause.started_at if pause else None)
        if pause is not None:
            clock.paused_minutes += paused_since(clock, pause.started_at, at_, cal)
        clock.stopped_at = at_
        clock.outcome = outcome or outcome_for(clock)
        stopped.append(clock)
    return stopped


def pause_clocks(ticket: Ticket) -> None:
    """The ticket is paused: its running clocks have no due time until it resumes."""
    for clock in running_clocks(ticket.id):
        clock.due_at = None


def resume_clocks(ticket: Ticket, pause: TicketPause, now: datetime) -> None:
    """The pause ends: its business minutes are added to each running clock, due times move."""
    for clock in running_clocks(ticket.id):
        cal = calendar_of(ticket, clock)
        clock.paused_minutes += paused_since(clock, pause.started_at, now, cal)
        clock.due_at = due_time(clock, cal)


def refresh_due_times(ticket: Ticket) -> None:
    """The holding supplier changed: the ticket's own running clocks follow its calendar."""
    for clock in running_clocks(ticket.id):
        if clock.supplier_id is None and clock.due_at is not None:
            clock.due_at = due_time(clock, calendar_of(ticket, clock))


def end_pause(ticket: Ticket, pause: TicketPause | None, actor_id: int | None, now) -> None:
    if pause is not None:
        pause.ended_at = now
        pause.ended_by_id = actor_id


def stop_all(ticket: Ticket, now: datetime, outcome: str, *, actor_id: int | None = None) -> None:
    """The round ends without reaching the targets (cancelled, closed): stop what runs."""
    pause = open_pause(ticket.id)
    stop_clocks(ticket, running_clocks(ticket.id), now, outcome, pause=pause)
    end_pause(ticket, pause, actor_id, now)
