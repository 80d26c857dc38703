"""The notices follow a ticket's events: connected to the ticket service's signals
(app.tickets.signals). Each announced event writes its OutboxMessage rows inside the service's
transaction (app.notify.ticket_notices); after the commit the rows go to the queue
(app.notify.outbox.dispatch). `create_app` imports this module.
"""

from __future__ import annotations

from app.models import OutboxMessage, Ticket, TicketEvent, User
from app.notify.outbox import dispatch
from app.notify.ticket_notices import queue_notices
from app.tickets.signals import change_committed, event_announced


@event_announced.connect
def write_notices(
    ticket: Ticket, *, event: TicketEvent, actor: User | None, **_
) -> list[OutboxMessage]:
    return queue_notices(ticket, event, actor)


@change_committed.connect
def send_after_commit(_sender, *, messages: list[OutboxMessage], **_) -> None:
    dispatch(messages)
