"""What the ticket page shows, read from a loaded ticket (no writes, no request).

The page loads one ticket with everything it shows in a fixed number of queries
(`load_for_page`), then these helpers shape it: the activity as sentences, what the current user
may see (internal comments and files for EN staff only), whether their mails are on, the choices
of the action forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Attachment,
    Intervention,
    Participant,
    Role,
    Site,
    Supplier,
    Ticket,
    TicketEvent,
    TicketPause,
    User,
)
from app.tickets.events import EventKind, kind_of
from app.tickets.permissions import sees_internal
from app.tickets.workflow import Status


def load_for_page(ticket_id: int) -> Ticket:
    """The ticket with all that its page shows, in a number of queries that does not grow."""
    return db.session.scalars(page_query().where(Ticket.id == ticket_id)).unique().one()


def page_query():
    """The ticket's statement with what its page shows loaded (add the WHERE)."""
    return (
        select(Ticket)
        .options(
            joinedload(Ticket.category),
            joinedload(Ticket.request_type),
            joinedload(Ticket.site).joinedload(Site.establishment),
            joinedload(Ticket.equipment),
            joinedload(Ticket.supplier),
            joinedload(Ticket.technician),
            joinedload(Ticket.assignee),
            joinedload(Ticket.creator),
            joinedload(Ticket.contact_user),
            joinedload(Ticket.open_pause).joinedload(TicketPause.started_by),
            # The collections joined have a few rows each (people shared with, and the current
            # round's two to four clocks): their product stays small.
            joinedload(Ticket.participants).joinedload(Participant.user),
            joinedload(Ticket.current_clocks),
            selectinload(Ticket.interventions).joinedload(Intervention.created_by),
            selectinload(Ticket.events).joinedload(TicketEvent.actor),
            selectinload(Ticket.attachments).joinedload(Attachment.uploaded_by),
        )
        .execution_options(populate_existing=True)
    )


# ------------------------------------------------------------------ people


def participants(ticket: Ticket) -> list[Participant]:
    """ "Partagé avec": the creator first, then in the order they were added."""
    return sorted(
        (p for p in ticket.participants if p.user.active),
        key=lambda p: (p.user_id != ticket.creator_id, p.added_at, p.user_id),
    )


def participant_of(ticket: Ticket, user: User) -> Participant | None:
    return next((p for p in ticket.participants if p.user_id == user.id), None)


def notifications_on(ticket: Ticket, user: User) -> bool:
    """Whether `user` gets this ticket's mails now (the rules of app.notify.audience).

    A participant has their own switch. Otherwise: the contact teacher, the assistant in charge
    and the coordinators are told by their place; a supplier's user only when their address is
    the company's reference address.
    """
    participant = participant_of(ticket, user)
    if participant is not None:
        return participant.notify
    if user.role == Role.SUPPLIER:
        return bool(ticket.supplier and ticket.supplier.reference_email == user.email)
    if user.role == Role.COORDINATOR:
        return True
    return user.id in (ticket.assignee_id, ticket.contact_user_id) or (
        bool(ticket.contact_email) and ticket.contact_email == user.email
    )


def equipment_text(ticket: Ticket) -> str:
    """« Ecole Numérique - Lot 00 - model » for an inventory device, else what was entered."""
    equipment = ticket.equipment
    if equipment is not None:
        generated = f"{equipment.lot} - {equipment.model}"
        if not ticket.equipment_description or ticket.equipment_description == generated:
            return equipment.designation
    return ticket.equipment_description


# ------------------------------------------------------------------ interventions


def announced_visit(ticket: Ticket) -> Intervention | None:
    """« Intervention prévue le … » in the state panel: the visit of a ticket in progress."""
    if ticket.status != Status.IN_PROGRESS:
        return None
    return ticket.current_visit


def approval_pending(ticket: Ticket) -> bool:
    """« 1 approbation nécessaire »: the work is done, the school has not answered yet."""
    return ticket.status == Status.DONE


# ------------------------------------------------------------------ activity


@dataclass
class Entry:
    """One line of the activity as the page shows it."""

    event: TicketEvent
    sentence: str
    change: tuple[str, str] | None = None  # ("OUVERT", "EN COURS")
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def body(self) -> str:
        """The text under the line, unless the sentence already says it."""
        kind = kind_of(self.event.kind)
        return "" if kind and kind.description.body_in_sentence else self.event.body

    @property
    def who(self) -> str:
        return actor_name(self.event)


def actor_name(event: TicketEvent) -> str:
    """Who made the event: « Claire Dumont », « Claire Dumont (par e-mail) » for an answer from
    the mailbox (with or without an account), « Relais » for the system."""
    data = event.data or {}
    name = event.actor.full_name if event.actor else data.get("by_name") or _("Relais")
    if data.get("via") == "mail":
        return _("%(name)s (par e-mail)", name=name)
    return name


def _sentence(event: TicketEvent, suppliers: dict[int, str]) -> str:
    kind = kind_of(event.kind)
    return kind.sentence(event, suppliers) if kind else event.kind


def visible_attachments(ticket: Ticket, user: User) -> list[Attachment]:
    staff = sees_internal(user)
    return [a for a in ticket.attachments if staff or not a.internal]


def activity(ticket: Ticket, user: User) -> list[Entry]:
    """The activity, newest first; internal comments and files only for EN staff."""
    staff = sees_internal(user)
    supplier_ids = {
        e.data.get("supplier_id")
        for e in ticket.events
        if e.kind == EventKind.REASSIGN_SUPPLIER and e.data
    } - {None}
    suppliers = {}
    if supplier_ids:
        suppliers = dict(
            db.session.execute(
                select(Supplier.id, Supplier.name).where(Supplier.id.in_(supplier_ids))
            ).all()
        )
    files: dict[int, list[Attachment]] = {}
    for attachment in visible_attachments(ticket, user):
        if attachment.event_id is not None:
            files.setdefault(attachment.event_id, []).append(attachment)
    entries = []
    for event in ticket.events:
        if event.internal and not staff:
            continue
        change = None
        if event.from_status and event.to_status and event.from_status != event.to_status:
            change = (Status(event.from_status).label, Status(event.to_status).label)
        entries.append(
            Entry(
                event=event,
                sentence=_sentence(event, suppliers),
                change=change,
                attachments=files.get(event.id, []),
            )
        )
    entries.reverse()
    return entries


# ------------------------------------------------------------------ choices of the action forms


def _options(action: str, value, label, order):
    """One form's choices, as a part of `action_options`' statement."""
    return select(
        literal(action).label("action"),
        value.label("value"),
        label.label("label"),
        func.row_number().over(order_by=order).label("position"),
    )


def _supplier_options(ticket: Ticket):
    """Active companies other than the one holding the ticket."""
    query = _options("reassign_supplier", Supplier.id, Supplier.name, Supplier.name)
    query = query.where(Supplier.active.is_(True))
    if ticket.supplier_id is not None:
        query = query.where(Supplier.id != ticket.supplier_id)
    return query


def _technician_options(ticket: Ticket):
    """Active users of the company holding the ticket."""
    if ticket.supplier_id is None:
        return None
    return _options("assign_technician", User.id, User.full_name, User.full_name).where(
        User.role == Role.SUPPLIER,
        User.supplier_id == ticket.supplier_id,
        User.active.is_(True),
    )


def _assignee_options(_ticket: Ticket):
    """Active assistants and admins (who may be in charge of a ticket)."""
    return _options("change_assignee", User.id, User.full_name, User.full_name).where(
        User.role.in_([Role.ASSISTANT.value, Role.ADMIN.value]), User.active.is_(True)
    )


OPTIONS = {
    "reassign_supplier": _supplier_options,
    "assign_technician": _technician_options,
    "change_assignee": _assignee_options,
}


def action_options(ticket: Ticket, actions) -> dict[str, list[tuple[int, str]]]:
    """The choices of the forms of `actions` that have some (a company, a technician, a person
    in charge), by action value: one statement for all of them (a UNION ALL)."""
    parts = [OPTIONS[str(a)](ticket) for a in actions if str(a) in OPTIONS]
    parts = [part for part in parts if part is not None]
    found: dict[str, list[tuple[int, str]]] = {str(a): [] for a in actions if str(a) in OPTIONS}
    if not parts:
        return found
    lists = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("options")
    for row in db.session.execute(select(lists).order_by(lists.c.action, lists.c.position)):
        found[row.action].append((row.value, row.label))
    return found
