"""What the operations of the ticket service share: the change they run in, and small checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Participant, Ticket, TicketEvent, User
from app.tickets import activity, attachments
from app.tickets.activity import load_for_update
from app.tickets.errors import StaleTicket, TicketError, TicketNotFound
from app.tickets.permissions import CREATORS, can_view

# One line of the activity (app.tickets.activity.record).
record = activity.record


@contextmanager
def ticket_change() -> Iterator[activity.Outbox]:
    """`activity.change()`, with a write that lost the race reported as StaleTicket: SQLite has
    no row lock, and the version column catches the other transaction at the commit."""
    try:
        with activity.change() as outbox:
            yield outbox
    except StaleDataError as exc:
        raise StaleTicket() from exc


def visible_locked(actor: User, ticket_id: int) -> Ticket:
    """The ticket locked for this change, or TicketNotFound when `actor` may not see it."""
    ticket = load_for_update(ticket_id)
    if not can_view(actor, ticket):
        raise TicketNotFound()
    return ticket


FILES_NOT_STORED = "Les fichiers n’ont pas pu être enregistrés ; rien n’a été modifié. Réessayez."


def store_files(
    ticket: Ticket,
    actor: User | None,
    event: TicketEvent,
    uploads: Sequence[attachments.Upload],
    *,
    field: str,
) -> None:
    """Store checked uploads with `event`, inside its change: a full or unwritable disk leaves
    no event behind (the files already written are removed with the transaction)."""
    try:
        for upload in uploads:
            attachments.store_upload(ticket, upload, actor, event=event)
    except OSError as exc:
        raise TicketError(FILES_NOT_STORED, field=field) from exc


def required(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TicketError(message, field=field_name)
    return value


def staff_member(user_id: int | None) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active or user.role not in CREATORS:
        raise TicketError(_("Choisissez un·e assistant·e EN actif·ve."), field="assignee_id")
    return user


def ensure_participant(ticket: Ticket, user: User, added_by: User | None, now) -> Participant:
    for participant in ticket.participants:
        if participant.user_id == user.id:
            return participant
    participant = Participant(user=user, added_by=added_by, added_at=now)
    ticket.participants.append(participant)
    return participant


def when(instant: datetime) -> dict:
    return {"at": instant.isoformat()}
