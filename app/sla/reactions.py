"""The clocks follow a ticket's events: what each kind does is its `clocks`, declared with the
kind (app.tickets.events, ClockEffect); the functions that do it are below, one per effect.

Connected to the ticket service's `event_applied` signal (app.tickets.signals), so the clocks
change inside the service's transaction. `create_app` imports this module.
"""

from __future__ import annotations

from datetime import datetime

from app.models import Ticket, TicketEvent
from app.sla.clocks import (
    CANCELLED,
    CLOSED,
    PLAN,
    REASSIGNED,
    RESOLVE,
    end_pause,
    open_pause,
    refresh_due_times,
    running_clocks,
    start_clocks,
    stop_all,
    stop_clocks,
)
from app.tickets.events import ClockEffect, kind_of
from app.tickets.signals import event_applied


def _actor_id(event: TicketEvent) -> int | None:
    return event.actor_id if event.actor_id is not None else getattr(event.actor, "id", None)


def _start(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    """The ticket's own clocks, and those of the supplier holding it, if any."""
    start_clocks(ticket, None, now)
    if _supplier_clocks(ticket):
        start_clocks(ticket, ticket.supplier_id, now)


def _supplier_clocks(ticket: Ticket) -> bool:
    """A supplier's clocks run only on a request a supplier handles: the EN team's own
    requests (RequestType.handled_by_supplier false) have the ticket's clocks alone."""
    return ticket.supplier_id is not None and ticket.request_type.handled_by_supplier


def _planned(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    pause = open_pause(ticket.id)
    clocks = [c for c in running_clocks(ticket.id) if c.kind == PLAN]
    stop_clocks(ticket, clocks, now, pause=pause)


def _finished(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    at = now
    visited = (event.data or {}).get("at")
    if visited:  # on the spot: when the visit took place
        at = min(now, datetime.fromisoformat(visited))
    pause = open_pause(ticket.id)
    clocks = [c for c in running_clocks(ticket.id) if c.kind in (PLAN, RESOLVE)]
    stop_clocks(ticket, clocks, at, pause=pause)
    # TERMINÉ: nothing runs any more, a pause has nothing left to hold.
    end_pause(ticket, pause, _actor_id(event), now)


def _resolved_by_en(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    """The work left the supplier's hands: its clocks stop out of its figures (like a change of
    supplier), the ticket's own reach their targets."""
    theirs = [c for c in running_clocks(ticket.id) if c.supplier_id is not None]
    stop_clocks(ticket, theirs, now, REASSIGNED, pause=open_pause(ticket.id))
    _finished(ticket, event, now)


def _supplier_changed(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    previous = (event.data or {}).get("previous_supplier_id")
    pause = open_pause(ticket.id)
    theirs = [
        c
        for c in running_clocks(ticket.id)
        if c.supplier_id is not None and c.supplier_id != ticket.supplier_id
    ]
    if previous is not None:
        theirs = [c for c in theirs if c.supplier_id == previous] or theirs
    stop_clocks(ticket, theirs, now, REASSIGNED, pause=pause)
    if _supplier_clocks(ticket):
        start_clocks(ticket, ticket.supplier_id, now, paused=pause is not None)
    refresh_due_times(ticket)


def _cancelled(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    stop_all(ticket, now, CANCELLED, actor_id=_actor_id(event))


def _closed(ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    stop_all(ticket, now, CLOSED, actor_id=_actor_id(event))


FOLLOW = {
    ClockEffect.START: _start,
    ClockEffect.RESTART: _start,
    ClockEffect.PLANNED: _planned,
    ClockEffect.FINISHED: _finished,
    ClockEffect.RESOLVED_BY_EN: _resolved_by_en,
    ClockEffect.SUPPLIER_CHANGED: _supplier_changed,
    ClockEffect.CANCELLED: _cancelled,
    ClockEffect.CLOSED: _closed,
}


@event_applied.connect
def follow(ticket: Ticket, *, event: TicketEvent, **_) -> None:
    """What `event` does to the clocks (nothing for a kind without `clocks`)."""
    kind = kind_of(event.kind)
    effect = kind.description.clocks if kind is not None else None
    if effect is not None:
        FOLLOW[effect](ticket, event, event.created_at)
