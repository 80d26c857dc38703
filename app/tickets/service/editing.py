"""Editing a ticket: the EN team corrects its frame (summary, description, request type, site,
contact, device) in one change that records one event, « edit », listing each field changed
« from → to ». The creation rules apply to the edited device (app.tickets.creation_rules); the
supplier holding the ticket is told when what it relies on changed (app.tickets.events,
RELIED_FIELDS: the event's `supplier_told`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import RequestType, Role, Site, Ticket, TicketEvent, User
from app.models.types import utcnow
from app.models.user import normalise_email
from app.tickets.creation_rules import check_new_ticket
from app.tickets.errors import Forbidden, StaleTicket, TicketError
from app.tickets.events import RELIED_FIELDS, EventKind
from app.tickets.permissions import can_edit
from app.tickets.service.common import (
    ensure_participant,
    record,
    required,
    ticket_change,
    visible_locked,
)


@dataclass
class TicketEdit:
    """The frame of a ticket as the assistant corrected it (already shaped by the form)."""

    request_type_id: int
    summary: str
    description: str
    site_id: int
    contact_name: str
    contact_phone: str = ""  # E.164
    contact_email: str = ""
    equipment_id: int | None = None
    equipment_label: str = ""
    equipment_serial: str = ""
    equipment_description: str = ""


class NothingChanged(TicketError):
    message = "Aucune modification : la demande est inchangée."


def edit_ticket(
    actor: User,
    ticket_id: int,
    values: TicketEdit,
    *,
    version: int | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Apply the corrections; returns the « edit » event. `version` is the ticket version the
    person saw: another one raises StaleTicket and nothing is saved. NothingChanged when every
    field is as it was."""
    now = now or utcnow()
    with ticket_change() as outbox:
        ticket = visible_locked(actor, ticket_id)
        if version is not None and ticket.version != version:
            raise StaleTicket()
        if not can_edit(actor, ticket):
            raise Forbidden("Seule l’équipe EN modifie une demande encore ouverte.")
        changes = _apply(ticket, values)
        if not changes:
            raise NothingChanged()
        if ticket.contact_user is not None:
            ensure_participant(ticket, ticket.contact_user, actor, now)
        ticket.updated_at = now
        told = ticket.supplier_id is not None and any(c[0] in RELIED_FIELDS for c in changes)
        event = record(
            ticket,
            actor,
            EventKind.EDIT,
            now=now,
            data={"changes": changes, "supplier_told": told},
        )
        outbox.applied(ticket, event)
        outbox.announce(ticket, event, actor)
    return event


def _apply(ticket: Ticket, values: TicketEdit) -> list[list[str]]:
    """Check every value, then change the ticket: [field, before, after] for each change."""
    summary = required(values.summary, "summary", "Résumez le problème en une ligne.")
    description = required(values.description, "description", "Décrivez le diagnostic réalisé.")
    contact_name = required(
        values.contact_name, "contact_name", "Indiquez le nom de la personne de contact."
    )
    request_type = _request_type(ticket, values.request_type_id)
    site = db.session.get(Site, values.site_id) if values.site_id else None
    if site is None:
        raise TicketError("Choisissez l’implantation scolaire.", field="site_id")
    match = check_new_ticket(values)
    equipment = match.equipment
    contact_email = normalise_email(values.contact_email)
    wanted = {
        "summary": summary,
        "description": description,
        "request_type": request_type,
        "site": site,
        "contact_name": contact_name,
        "contact_phone": values.contact_phone or "",
        "contact_email": contact_email,
        # As typed, or as the inventory knows the device (the creation's rule).
        "equipment_label": _identifier(
            equipment.label if equipment else None, values.equipment_label
        ),
        "equipment_serial": _identifier(
            equipment.serial if equipment else None, values.equipment_serial
        ),
        "equipment_description": values.equipment_description.strip()
        or (f"{equipment.lot} - {equipment.model}" if equipment else ""),
    }
    changes = []
    for name, after in wanted.items():
        before = getattr(ticket, name)
        if before != after:
            changes.append([name, _text(before), _text(after)])
            setattr(ticket, name, after)
    ticket.equipment = equipment
    if any(c[0] == "contact_email" for c in changes):
        ticket.contact_user = (
            db.session.scalar(
                select(User).where(User.email == contact_email, User.role == Role.TEACHER)
            )
            if contact_email
            else None
        )
    return changes


def _request_type(ticket: Ticket, type_id: int | None) -> RequestType:
    if type_id == ticket.request_type_id:
        return ticket.request_type  # kept even if it was retired since
    request_type = db.session.get(RequestType, type_id) if type_id else None
    if request_type is None or not request_type.active:
        raise TicketError("Choisissez un type de demande.", field="request_type_id")
    # The reference (TECH-175) is numbered within the category: it never changes.
    if request_type.category_id != ticket.category_id:
        raise TicketError(
            "Choisissez un type de la même catégorie : la référence de la demande ne change pas.",
            field="request_type_id",
        )
    return request_type


def _text(value) -> str:
    """What the activity shows of a value: the label of a site or a request type."""
    label = getattr(value, "label", None)
    return str(label if label is not None else value or "")


def _identifier(known: str | None, entered: str) -> str:
    return (known or entered or "").strip().upper()
