"""Comments, the « Notifications » switch, and sharing a ticket (« Partagé avec »)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _

from app.auth.roles import EN_STAFF
from app.models import Participant, TicketEvent, User
from app.models.types import utcnow
from app.sla import pauses as sla_pauses
from app.tickets.attachments import Upload
from app.tickets.errors import Forbidden, TicketError
from app.tickets.events import EventKind
from app.tickets.permissions import can_share_with
from app.tickets.service.common import (
    ensure_participant,
    load_for_update,
    record,
    required,
    store_files,
    ticket_change,
    visible_locked,
)


def add_comment(
    actor: User,
    ticket_id: int,
    body: str,
    *,
    internal: bool = False,
    now: datetime | None = None,
    files: Sequence[Upload] = (),
) -> TicketEvent:
    """A comment (internal: for EN staff only), with its files (already checked) stored in the
    same change."""
    now = now or utcnow()
    with ticket_change() as outbox:
        ticket = visible_locked(actor, ticket_id)
        body = required(body, "body", _("Écrivez votre commentaire."))
        if internal and actor.role not in EN_STAFF:
            raise Forbidden(_("Seule l’équipe EN écrit des commentaires internes."))
        event = record(ticket, actor, EventKind.COMMENT, body=body, now=now, internal=internal)
        store_files(ticket, actor, event, files, field="attachments")
        # The school's answer to a question resumes the clocks (app.sla.pauses).
        resumed = None if internal else sla_pauses.on_comment(actor, ticket, now)
        ticket.updated_at = now
        outbox.announce(ticket, event, actor)
        if resumed is not None:
            outbox.announce(ticket, resumed, actor)
    return event


def comment_from_mail(
    user: User | None,
    ticket_id: int,
    body: str,
    *,
    name: str,
    email: str,
    now: datetime | None = None,
    files: Sequence[Upload] = (),
) -> TicketEvent:
    """A reply by mail (app.mail_in), as a public comment: by `user`, an account that sees the
    ticket, or with None by the ticket's contact without one (name and address kept in the
    event, shown « Claire Dumont (par e-mail) »). A reply from the school answers an open
    question as a comment in Relais does. Whatever the caller added to the session (the
    received message's row) is committed with it."""
    now = now or utcnow()
    with ticket_change() as outbox:
        ticket = load_for_update(ticket_id) if user is None else visible_locked(user, ticket_id)
        body = required(body, "body", "Écrivez votre commentaire.")
        data = {"via": "mail", "by_name": name, "by_email": email}
        event = record(ticket, user, EventKind.COMMENT, body=body, now=now, data=data)
        store_files(ticket, user, event, files, field="attachments")
        resumed = sla_pauses.on_comment(user, ticket, now)
        ticket.updated_at = now
        outbox.announce(ticket, event, user)
        if resumed is not None:
            outbox.announce(ticket, resumed, user)
    return event


def set_notifications(actor: User, ticket_id: int, on: bool, *, now=None) -> Participant:
    """Switch this ticket's mails on or off for `actor` (its « Notifications » switch)."""
    now = now or utcnow()
    with ticket_change():
        ticket = visible_locked(actor, ticket_id)
        participant = ensure_participant(ticket, actor, actor, now)
        participant.notify = on
    return participant


def share(actor: User, ticket_id: int, user: User, *, now=None) -> TicketEvent:
    """Add someone to "Partagé avec", within the sharing rules of the actor's role."""
    now = now or utcnow()
    with ticket_change():
        ticket = visible_locked(actor, ticket_id)
        if not can_share_with(actor, ticket, user):
            raise TicketError(
                _("Vous ne pouvez pas partager cette demande avec cette personne."), field="email"
            )
        ensure_participant(ticket, user, actor, now)
        data = {"user_id": user.id}
        event = record(ticket, actor, EventKind.SHARE, body=user.full_name, now=now, data=data)
    return event
