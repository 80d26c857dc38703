"""The dashboard's kept figures (app.models.dashboard): rebuilt for a ticket after each change,
and for every ticket by a periodic job.

The ticket service announces each change (`event_applied`, inside its transaction); the
tickets changed are noted on the session and their rows rebuilt just before the commit, once
the clocks have been written whatever the order the receivers ran in, so the rows are committed
with the change. What changes outside the service (an equipment's lot, a request type's
`handled_by_supplier`) reaches the rows at the next periodic rebuild (`rebuild_all`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from app.core.time import BRUSSELS
from app.dashboard.figures import NO_LOT, supplier_work
from app.extensions import db
from app.jobs import job_context
from app.models import DashboardClock, Equipment, ServiceClock, Ticket, TicketEvent
from app.tickets.events import EventKind
from app.tickets.signals import event_applied

log = logging.getLogger(__name__)
PENDING = "relais.dashboard.changed-tickets"
BATCH = 5_000


def rebuild(session: Session, ticket_ids: Iterable[int] | None = None) -> int:
    """Replace the rows of these tickets (of all tickets: None) by rows computed from their
    clocks; returns the number of rows written."""
    ids = None if ticket_ids is None else sorted(set(ticket_ids))
    clocks = (
        select(
            ServiceClock.id,
            ServiceClock.ticket_id,
            ServiceClock.supplier_id,
            ServiceClock.kind,
            ServiceClock.started_at,
            ServiceClock.outcome,
            ServiceClock.spent_minutes,
            ServiceClock.stopped_at,
            ServiceClock.due_at,
            Ticket.status,
            Equipment.lot,
        )
        .join(Ticket, Ticket.id == ServiceClock.ticket_id)
        .outerjoin(Equipment, Equipment.id == Ticket.equipment_id)
        .where(ServiceClock.supplier_id.is_not(None), supplier_work())
        .order_by(ServiceClock.ticket_id, ServiceClock.started_at, ServiceClock.id)
    )
    marks = select(TicketEvent.ticket_id, TicketEvent.kind).where(
        TicketEvent.kind.in_((EventKind.REOPEN, EventKind.AUTO_CLOSE))
    )
    wipe = delete(DashboardClock)
    if ids is not None:
        clocks = clocks.where(ServiceClock.ticket_id.in_(ids))
        marks = marks.where(TicketEvent.ticket_id.in_(ids))
        wipe = wipe.where(DashboardClock.ticket_id.in_(ids))
    marked = {(ticket_id, kind) for ticket_id, kind in session.execute(marks.distinct())}
    session.execute(wipe)

    rows: list[dict] = []
    written = 0
    last_any: dict[tuple[int, str], object] = {}
    last_supplier: dict[tuple[int, int, str], object] = {}
    for clock in session.execute(clocks):
        day = clock.started_at.astimezone(BRUSSELS).date()
        closed = clock.status == "closed"
        rows.append(
            {
                "clock_id": clock.id,
                "ticket_id": clock.ticket_id,
                "day": day,
                "supplier_id": clock.supplier_id,
                "lot": clock.lot or NO_LOT,
                "kind": clock.kind,
                "outcome": clock.outcome,
                "spent_minutes": clock.spent_minutes,
                "running_due_at": clock.due_at if clock.stopped_at is None else None,
                "previous_supplier_day": last_supplier.get(
                    (clock.ticket_id, clock.supplier_id, clock.kind)
                ),
                "previous_day": last_any.get((clock.ticket_id, clock.kind)),
                "closed": closed,
                "reopened": (clock.ticket_id, EventKind.REOPEN) in marked,
                "auto_closed": closed and (clock.ticket_id, EventKind.AUTO_CLOSE) in marked,
            }
        )
        last_supplier[(clock.ticket_id, clock.supplier_id, clock.kind)] = day
        last_any[(clock.ticket_id, clock.kind)] = day
        if len(rows) >= BATCH:
            written += _write(session, rows)
    return written + _write(session, rows)


def _write(session: Session, rows: list[dict]) -> int:
    count = len(rows)
    if rows:
        session.execute(insert(DashboardClock), rows)
        rows.clear()
    return count


def rebuild_all() -> dict[str, int]:
    """Periodic: every ticket's rows again (idempotent; a few seconds for 100,000 tickets)."""
    with job_context():
        written = rebuild(db.session)
        db.session.commit()
        log.info("dashboard: %s kept clock row(s) rebuilt", written)
        return {"rows": written}


@event_applied.connect
def _note_changed(ticket, **_extra) -> None:
    db.session.info.setdefault(PENDING, []).append(ticket)


@event.listens_for(Session, "before_commit")
def _rebuild_changed(session: Session) -> None:
    tickets = session.info.pop(PENDING, None)
    if tickets:
        session.flush()
        rebuild(session, {ticket.id for ticket in tickets})


@event.listens_for(Session, "after_rollback")
def _forget_changed(session: Session) -> None:
    session.info.pop(PENDING, None)
