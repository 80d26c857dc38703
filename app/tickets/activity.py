"""How every change to a ticket ends: its event recorded, the messages it causes written in the
same transaction, one commit, and the messages handed to the queue only after the commit.

    with activity.change() as outbox:
        ticket = load_for_update(ticket_id)
        event = activity.record(ticket, actor, EventKind.COMMENT, body=text, now=now)
        outbox.announce(ticket, event, actor)

`announce` and `applied` send the signals of app.tickets.signals: the packages that react write
their rows inside this transaction. Any error inside rolls the whole change back (its messages
with it) and goes on up; a block that decides there is nothing to do may simply return.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Ticket, TicketEvent, User
from app.tickets import signals
from app.tickets.errors import TicketNotFound
from app.tickets.events import EventKind


def load_for_update(ticket_id: int) -> Ticket:
    """The ticket, its row locked until the change ends (PostgreSQL: `SELECT … FOR UPDATE`;
    SQLite has no row lock, the version column catches a concurrent write at the commit)."""
    ticket = db.session.execute(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update()
    ).scalar_one_or_none()
    if ticket is None:
        raise TicketNotFound()
    return ticket


def record(
    ticket: Ticket,
    actor: User | None,
    kind: EventKind,
    *,
    now: datetime,
    body: str = "",
    data: dict | None = None,
    internal: bool = False,
    to_status: str | None = None,
) -> TicketEvent:
    """One line of the activity (actor None: the system; the kinds: app.tickets.events)."""
    event = TicketEvent(
        ticket=ticket,
        actor=actor,
        kind=kind,
        to_status=to_status,
        body=body,
        internal=internal,
        data=data or {},
        created_at=now,
    )
    db.session.add(event)
    return event


class Outbox:
    """The messages of one change, written in its transaction, sent after its commit."""

    def __init__(self) -> None:
        self.messages: list[OutboxMessage] = []

    def applied(self, ticket: Ticket, event: TicketEvent) -> None:
        """`event` changed the ticket's state or holder: what follows it (the clocks) follows."""
        signals.event_applied.send(ticket, event=event)

    def announce(self, ticket: Ticket, event: TicketEvent, actor: User | None) -> None:
        if not signals.event_announced.receivers:
            # Never a change whose mails silently vanish: create_app connects the receivers.
            raise RuntimeError("no receiver for the ticket's announcements: use create_app()")
        for _receiver, written in signals.event_announced.send(ticket, event=event, actor=actor):
            self.messages += written or []


@contextmanager
def change() -> Iterator[Outbox]:
    outbox = Outbox()
    try:
        yield outbox
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    signals.change_committed.send(None, messages=outbox.messages)
