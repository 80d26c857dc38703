"""Opening a ticket, and the open tickets of the same device (a warning, never a refusal)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Equipment, Participant, RequestType, Role, Site, Supplier, Ticket, User
from app.models.types import utcnow
from app.models.user import normalise_email
from app.tickets import attachments
from app.tickets.creation_rules import check_new_ticket
from app.tickets.errors import Forbidden, TicketError
from app.tickets.events import EventKind
from app.tickets.numbering import next_number, reference
from app.tickets.permissions import CREATORS
from app.tickets.service.common import record, staff_member, store_files, ticket_change
from app.tickets.workflow import Status


@dataclass
class NewTicket:
    """What an assistant gives to open a ticket (already shaped by the form)."""

    request_type_id: int
    summary: str
    description: str
    site_id: int
    contact_name: str
    contact_phone: str = ""
    contact_email: str = ""
    equipment_id: int | None = None
    equipment_label: str = ""
    equipment_serial: str = ""
    equipment_description: str = ""
    supplier_id: int | None = None
    assignee_id: int | None = None


def create_ticket(
    actor: User,
    data: NewTicket,
    *,
    now: datetime | None = None,
    files: Sequence[attachments.Upload] = (),
) -> Ticket:
    """Open a ticket (its event "created" is `ticket.events[0]`). `files` (already checked) are
    stored with that event, in the same change: a storage failure leaves no ticket behind."""
    if actor.role not in CREATORS:
        raise Forbidden(_("Seule l’équipe EN ouvre des demandes."))
    check_new_ticket(data)
    now = now or utcnow()
    request_type = db.session.get(RequestType, data.request_type_id)
    if request_type is None or not request_type.active:
        raise TicketError(_("Choisissez un type de demande."), field="request_type_id")
    site = db.session.get(Site, data.site_id)
    if site is None:
        raise TicketError(_("Choisissez l’implantation scolaire."), field="site_id")
    equipment = db.session.get(Equipment, data.equipment_id) if data.equipment_id else None
    supplier = db.session.get(Supplier, data.supplier_id) if data.supplier_id else None
    if data.supplier_id and (supplier is None or not supplier.active):
        raise TicketError(
            _("Ce fournisseur n’existe pas ou n’est plus actif."), field="supplier_id"
        )
    assignee = staff_member(data.assignee_id) if data.assignee_id else actor

    contact_email = normalise_email(data.contact_email)
    contact_user = None
    if contact_email:
        contact_user = db.session.scalar(
            select(User).where(User.email == contact_email, User.role == Role.TEACHER)
        )
    with ticket_change() as outbox:
        number = next_number(request_type.category_id)
        ticket = Ticket(
            category_id=request_type.category_id,
            number=number,
            reference=reference(request_type.category.key, number),
            request_type=request_type,
            status=Status.OPEN,
            summary=data.summary.strip(),
            description=data.description.strip(),
            site=site,
            contact_name=data.contact_name.strip(),
            contact_phone=data.contact_phone,
            contact_email=contact_email,
            contact_user=contact_user,
            equipment=equipment,
            # As entered, or as the inventory knows it when the device was found there.
            equipment_label=_identifier(
                equipment.label if equipment else None, data.equipment_label
            ),
            equipment_serial=_identifier(
                equipment.serial if equipment else None, data.equipment_serial
            ),
            equipment_description=data.equipment_description.strip()
            or (f"{equipment.lot} - {equipment.model}" if equipment else ""),
            supplier=supplier,
            supplier_assigned_at=now if supplier else None,
            assignee=assignee,
            creator=actor,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        db.session.add(ticket)
        # "Partagé avec": the creator and the contact teacher, as the current portal shows them.
        for user in {actor, assignee, contact_user} - {None}:
            ticket.participants.append(Participant(user=user, added_by=actor, added_at=now))
        db.session.flush()
        event = record(ticket, actor, EventKind.CREATED, to_status=Status.OPEN, now=now)
        store_files(ticket, actor, event, files, field="attachments")
        outbox.applied(ticket, event)
        outbox.announce(ticket, event, actor)
    return ticket


def _identifier(known: str | None, entered: str) -> str:
    return (known or entered or "").strip().upper()
