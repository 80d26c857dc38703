"""Pauses of the service-level clocks and questions to the school (the rules: app.sla.pauses)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.models import Ticket, TicketEvent, User
from app.models.types import utcnow
from app.sla import pauses as sla_pauses
from app.tickets.service.common import ticket_change, visible_locked

Change = Callable[[Ticket, datetime], TicketEvent]


def _clock_change(actor: User, ticket_id: int, change: Change, now: datetime | None):
    """Lock the ticket, let `change` (app.sla.pauses) record its event, announce it."""
    now = now or utcnow()
    with ticket_change() as outbox:
        ticket = visible_locked(actor, ticket_id)
        event = change(ticket, now)
        ticket.updated_at = now
        outbox.announce(ticket, event, actor)
    return event


def pause_clocks(
    actor: User, ticket_id: int, kind: str, reason: str, *, now: datetime | None = None
) -> TicketEvent:
    """Suspend the clocks: waiting for the school ("school") or for a part ("part")."""
    return _clock_change(
        actor, ticket_id, lambda t, at: sla_pauses.pause(actor, t, kind, reason, at), now
    )


def resume_clocks(actor: User, ticket_id: int, *, now: datetime | None = None) -> TicketEvent:
    return _clock_change(actor, ticket_id, lambda t, at: sla_pauses.resume(actor, t, at), now)


def ask_school(
    actor: User, ticket_id: int, question: str, *, now: datetime | None = None
) -> TicketEvent:
    """Put a question to the school contact (by mail); the clocks wait for the answer."""
    return _clock_change(
        actor, ticket_id, lambda t, at: sla_pauses.ask_school(actor, t, question, at), now
    )
