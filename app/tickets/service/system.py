"""What the system does by itself: the automatic closure after the school's silence, and the
closure of a ticket whose question stayed unanswered (both run by scheduled jobs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Ticket, TicketEvent, TicketPause
from app.models.types import utcnow
from app.sla import pauses as sla_pauses
from app.tickets.activity import Outbox
from app.tickets.errors import StaleTicket, TicketNotFound
from app.tickets.events import EventKind
from app.tickets.service.actions import cancel_visit
from app.tickets.service.common import load_for_update, record, ticket_change
from app.tickets.workflow import Action, Actor, Status, WorkflowError, check


def auto_close(
    ticket_id: int, *, now: datetime | None = None, expected_round: int | None = None
) -> TicketEvent | None:
    """The system's closure after the school's silence (scheduled, see app.tickets.autoclose).

    Idempotent: a ticket already closed, reopened meanwhile (or, with `expected_round`, finished
    again in a later round) is left alone and None returned. The teacher, the supplier's
    reference address and the assistant in charge are told.
    """
    now = now or utcnow()
    try:
        with ticket_change() as outbox:
            ticket = load_for_update(ticket_id)
            if ticket.status != Status.DONE or (
                expected_round is not None and ticket.round != expected_round
            ):
                return None
            check(Action.AUTO_CLOSE, ticket.status, Actor.SYSTEM, has_supplier=True)
            data = {"round": ticket.round}
            body = "Clôturé automatiquement"
            return _system_close(outbox, ticket, EventKind.AUTO_CLOSE, body, data, now)
    except (TicketNotFound, StaleTicket):
        # Gone, or someone answered between our read and our write: their answer stands.
        return None


def close_unanswered(
    ticket_id: int, pause_id: int, *, days: int, now: datetime | None = None
) -> TicketEvent | None:
    """The system closes a ticket whose question stayed unanswered `days` business days
    (app.sla.jobs); the event says why.

    Idempotent: a ticket whose question was answered, or that moved on, is left alone (None).
    """
    now = now or utcnow()
    try:
        with ticket_change() as outbox:
            ticket = load_for_update(ticket_id)
            question = db.session.scalar(
                select(TicketPause)
                .where(TicketPause.id == pause_id, TicketPause.ticket_id == ticket_id)
                .execution_options(populate_existing=True)
            )
            if question is None or question.ended_at is not None:
                return None
            try:
                check(Action.CLOSE_UNANSWERED, ticket.status, Actor.SYSTEM, has_supplier=True)
            except WorkflowError:
                return None
            cancelled = cancel_visit(ticket, now)
            body = sla_pauses.closure_text(question, days)
            data = {"pause_id": question.id, "visit_cancelled": cancelled is not None}
            return _system_close(outbox, ticket, EventKind.CLOSED_UNANSWERED, body, data, now)
    except StaleTicket:
        return None


def _system_close(
    outbox: Outbox, ticket: Ticket, kind: EventKind, body: str, data: dict, now: datetime
) -> TicketEvent:
    """A closure by the system (no answer from the school): the event, the state, the clocks,
    the notices."""
    event = record(ticket, None, kind, body=body, now=now, data=data)
    event.from_status, event.to_status = ticket.status, Status.CLOSED
    ticket.status = Status.CLOSED
    ticket.status_changed_at = ticket.closed_at = ticket.updated_at = now
    outbox.applied(ticket, event)
    outbox.announce(ticket, event, None)
    return event
