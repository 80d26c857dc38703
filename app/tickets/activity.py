"""How every change to a ticket ends: its event recorded, the messages it causes written in the
same transaction, one commit, and the messages handed to the queue only after the commit.

    with activity.change() as outbox:
        ticket = load_for_update(ticket_id)
        event = activity.record(ticket, actor, EventKind.COMMENT, body=text, now=now)
        outbox.announce(ticket, event, actor)

Any error inside rolls the whole change back (its messages with it) and goes on up; a block
that decides there is nothing to do may simply return.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from app.extensions import db
from app.models import OutboxMessage, Ticket, TicketEvent, User
from app.tickets.events import EventKind


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

    def announce(self, ticket: Ticket, event: TicketEvent, actor: User | None) -> None:
        # Imported here: the notices reach back into the ticket modules (planning, links).
        from app.notify.ticket_notices import queue_notices

        self.messages += queue_notices(ticket, event, actor)


@contextmanager
def change() -> Iterator[Outbox]:
    from app.notify.outbox import dispatch

    outbox = Outbox()
    try:
        yield outbox
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    dispatch(outbox.messages)
