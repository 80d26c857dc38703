"""The messages a ticket event sends: who (app.notify.audience), and what each person reads.

Called by the ticket service inside its transaction; the rows are sent after the commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.agenda.invitations import invitation_for
from app.auth.roles import EN_STAFF
from app.core.locales import in_language
from app.extensions import db
from app.mail_actions.links import links_for
from app.models import OutboxMessage, Role, Supplier, Ticket, TicketEvent, User, normalise_email
from app.notify import languages, preferences
from app.notify.audience import Participation, Person, TicketPeople, audience
from app.notify.links import external_url
from app.notify.outbox import queue_message
from app.notify.threads import reply_address
from app.tickets import planning
from app.tickets.events import EventKind


def _muted(user: User | None) -> frozenset[str]:
    """The kinds `user` turned off on their profile (none for no user)."""
    if user is None:
        return frozenset()
    return preferences.muted_kinds(user.mail_preferences, user.role)


def _person(user: User | None) -> Person | None:
    if user is None or not user.active:
        return None
    return Person(
        email=user.email,
        name=user.full_name,
        user_id=user.id,
        muted_kinds=_muted(user),
        language=languages.of_user(user),
    )


def _supplier_person(supplier: Supplier | None) -> Person | None:
    if supplier is None or not supplier.reference_email:
        return None
    # A reference address that is an active user's own: that user's choices apply to it.
    owner = db.session.scalar(
        select(User).where(
            User.email == normalise_email(supplier.reference_email), User.active.is_(True)
        )
    )
    return Person(
        email=supplier.reference_email,
        name=supplier.name,
        muted_kinds=_muted(owner),
        language=languages.of_user(owner),
        company=True,
    )


def people_of(ticket: Ticket, event: TicketEvent) -> TicketPeople:
    coordinators = db.session.scalars(
        select(User).where(User.role == Role.COORDINATOR, User.active.is_(True)).order_by(User.id)
    ).all()
    teacher = None
    if ticket.contact_email:
        teacher = Person(
            email=ticket.contact_email,
            name=ticket.contact_name,
            user_id=ticket.contact_user_id,
            muted_kinds=_muted(ticket.contact_user),
            language=languages.of_contact(ticket),
        )
    previous_supplier = None
    if event.data.get("previous_supplier_id"):
        previous_supplier = _supplier_person(
            db.session.get(Supplier, event.data["previous_supplier_id"])
        )
    new_assignee = None
    if event.kind == EventKind.CHANGE_ASSIGNEE:
        new_assignee = _person(ticket.assignee)
    participants = tuple(
        Participation(
            person=Person(
                email=p.user.email,
                name=p.user.full_name,
                user_id=p.user.id,
                muted_kinds=_muted(p.user),
                language=languages.of_user(p.user),
            ),
            notify=p.notify,
            is_staff=p.user.role in EN_STAFF,
        )
        for p in ticket.participants
        if p.user.active
    )
    return TicketPeople(
        supplier=_supplier_person(ticket.supplier),
        previous_supplier=previous_supplier,
        assistant=_person(ticket.assignee) if event.kind != EventKind.CHANGE_ASSIGNEE else None,
        coordinators=tuple(p for p in map(_person, coordinators) if p),
        teacher=teacher,
        technician=_person(ticket.technician),
        new_assignee=new_assignee,
        participants=participants,
        visit_planned=bool(event.data.get("visit_cancelled")),
        supplier_told=bool(event.data.get("supplier_told")),
    )


def headline(ticket: Ticket, event: TicketEvent) -> str:
    values = {
        "actor": event.actor.full_name if event.actor else "Relais",
        "supplier": ticket.supplier.name if ticket.supplier else "",
        "technician": ticket.technician.full_name if ticket.technician else "",
        "date": "",
        "time": "",
    }
    at = event.data.get("at")
    if at:
        instant = datetime.fromisoformat(at)
        values["date"], values["time"] = planning.date_text(instant), planning.time_text(instant)
    return EventKind(event.kind).headline.format(**values)


def queue_notices(ticket: Ticket, event: TicketEvent, actor: User | None) -> list[OutboxMessage]:
    """One outbox row per recipient of `event`, in the caller's transaction."""
    db.session.flush()  # the event's id goes into each row
    people = people_of(ticket, event)
    recipients = audience(
        event.kind, people, actor.email if actor else None, internal=event.internal
    )
    if not recipients:
        return []
    link = external_url("tickets.show", reference=ticket.reference)
    profile_link = external_url("auth.profile")
    messages = []
    for recipient in recipients:
        language = recipient.person.language
        # Subject, bodies and calendar file in the recipient's language, not the actor's.
        with in_language(language):
            title = headline(ticket, event)
            subject = f"[{ticket.reference}] {title} — {ticket.summary}"
            invitation = invitation_for(ticket, event, recipient)
        message = queue_message(
            event.kind,
            recipient.person.email,
            subject,
            "ticket_event",
            language=language,
            ticket=ticket,
            event=event,
            to=recipient,
            title=title,
            link=link,
            profile_link=profile_link,
            actor=actor,
            answer=links_for(ticket, event, recipient),
        )
        if invitation is not None:
            message.calendar, message.calendar_method = invitation
        message.ticket_id = ticket.id
        message.event_id = event.id
        message.user_id = recipient.person.user_id
        # Signed for the ticket and this recipient: their reply finds its way (app.mail_in).
        message.reply_to = reply_address(ticket.id, message.recipient)
        messages.append(message)
    return messages
