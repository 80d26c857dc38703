"""The creation rules on the device, which the « Nouvelle demande » form and the ticket service
both apply (app.tickets.service.creation calls `check_new_ticket` first thing), and the look-ups
they need: the inventory's device for what was typed, the open tickets of the same device.

Plain functions over the models, no HTTP; below the service in the layers (pyproject.toml), so
any caller of `create_ticket` gets the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Equipment, Site, Ticket
from app.tickets.errors import TicketError
from app.tickets.states import OPEN_STATUSES

if TYPE_CHECKING:
    from app.tickets.service import NewTicket, TicketEdit


@dataclass
class EquipmentMatch:
    equipment: Equipment | None = None
    conflict: list[Equipment] = field(default_factory=list)  # label and serial disagree

    @property
    def found(self) -> bool:
        return self.equipment is not None


def find_equipment(label: str | None, serial: str | None) -> EquipmentMatch:
    """The inventory's device for a label and/or serial number (either may be typed in either
    box: each is compared with both columns)."""
    typed = {v.strip().upper() for v in (label, serial) if v and v.strip()}
    if not typed:
        return EquipmentMatch()
    found = list(
        db.session.scalars(
            select(Equipment)
            .where(or_(Equipment.label.in_(typed), Equipment.serial.in_(typed)))
            .options(
                joinedload(Equipment.supplier),
                joinedload(Equipment.site).joinedload(Site.establishment),
            )
            .order_by(Equipment.id)
        ).unique()
    )
    if len(found) > 1:
        return EquipmentMatch(conflict=found)
    return EquipmentMatch(equipment=found[0] if found else None)


def get_equipment(equipment_id: int | None) -> Equipment | None:
    if not equipment_id:
        return None
    return db.session.get(Equipment, equipment_id)


def open_duplicates(serial: str, label: str, *, exclude_id: int | None = None) -> list[Ticket]:
    """Open tickets for the same device: a warning for the assistant, never a refusal."""
    conditions = []
    if serial:
        conditions.append(Ticket.equipment_serial == serial.strip().upper())
    if label:
        conditions.append(Ticket.equipment_label == label.strip().upper())
    if not conditions:
        return []
    query = select(Ticket).where(
        Ticket.status.in_(sorted(s.value for s in OPEN_STATUSES)), or_(*conditions)
    )
    if exclude_id:
        query = query.where(Ticket.id != exclude_id)
    return list(db.session.scalars(query.order_by(Ticket.id)).all())


def equipment_problems(
    match: EquipmentMatch, label: str | None, serial: str | None, description: str | None
) -> list[tuple[str, str]]:
    """What is wrong with the device a new ticket names, as (field, message) pairs.

    Pure: `match` is what the inventory holds for the typed label and serial. A label and a
    serial naming two different devices are refused; a device the inventory does not know needs
    its description (lot and model), since nothing else would say what it is.
    """
    if match.conflict:
        items = ", ".join(e.identifier for e in match.conflict)
        return [
            (
                "equipment_serial",
                _(
                    "L’étiquette et le numéro de série désignent deux matériels différents "
                    "(%(items)s).",
                    items=items,
                ),
            )
        ]
    typed = bool((label or "").strip() or (serial or "").strip())
    if match.equipment is None and typed and not (description or "").strip():
        return [
            (
                "equipment_description",
                _("Ce matériel n’est pas dans l’inventaire : indiquez son lot et son modèle."),
            )
        ]
    return []


def check_new_ticket(data: NewTicket | TicketEdit) -> EquipmentMatch:
    """The creation rules, for any caller of the ticket service (a new ticket, or the device
    of an edited one): TicketError for the first broken one, else what the inventory holds. A
    device chosen by its id is known even when nothing typed matches it."""
    label, serial = data.equipment_label, data.equipment_serial
    match = find_equipment(label, serial)
    if match.equipment is None and not match.conflict and data.equipment_id:
        match = EquipmentMatch(equipment=get_equipment(data.equipment_id))
    for field_name, message in equipment_problems(match, label, serial, data.equipment_description):
        raise TicketError(message, field=field_name)
    return match
