"""What already happened to a device and at a school: their tickets and interventions.

A device is known by its inventory row, or only by the label / serial number written on its
tickets (a device missing from the inventory). Its history follows it across schools: the
tickets are found by the device's id and by its identifiers, wherever they were opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import Equipment, Site, Ticket
from app.models.types import utcnow
from app.tickets.permissions import visible_to

# « Panne à répétition »: this many tickets within the window flags the device.
REPEAT_TICKETS = 3
REPEAT_WINDOW = timedelta(days=365)
HISTORY_LIMIT = 200
SITE_TICKETS_LIMIT = 50


@dataclass(frozen=True)
class DeviceHistory:
    equipment: Equipment | None
    label: str
    serial: str
    tickets: list[Ticket]  # newest first, with their interventions and sites loaded
    recent_count: int  # tickets in the last twelve months
    schools: int  # distinct sites the tickets were opened at

    @property
    def repeated(self) -> bool:
        return self.recent_count >= REPEAT_TICKETS


def _device_condition(equipment: Equipment | None, label: str, serial: str):
    conditions = []
    if equipment is not None:
        conditions.append(Ticket.equipment_id == equipment.id)
    if label:
        conditions.append(Ticket.equipment_label == label)
    if serial:
        conditions.append(Ticket.equipment_serial == serial)
    return or_(*conditions) if conditions else None


def find_equipment(identifier: str) -> Equipment | None:
    ident = (identifier or "").strip().upper()
    if not ident:
        return None
    return db.session.scalar(
        select(Equipment).where(or_(Equipment.label == ident, Equipment.serial == ident))
    )


def device_history(
    viewer,
    *,
    equipment: Equipment | None = None,
    identifier: str = "",
    now: datetime | None = None,
) -> DeviceHistory | None:
    """The device's tickets that `viewer` may see; None when nothing is known of it."""
    now = now or utcnow()
    ident = (identifier or "").strip().upper()
    label = equipment.label if equipment is not None else ident
    serial = equipment.serial if equipment is not None else ident
    condition = _device_condition(equipment, label or "", serial or "")
    if condition is None:
        return None
    tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(condition, visible_to(viewer))
            .options(
                selectinload(Ticket.interventions),
                joinedload(Ticket.site).joinedload(Site.establishment),
                joinedload(Ticket.supplier),
            )
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(HISTORY_LIMIT)
        ).unique()
    )
    if equipment is None and not tickets:
        return None
    since = now - REPEAT_WINDOW
    return DeviceHistory(
        equipment=equipment,
        label=label or "",
        serial=serial or "",
        tickets=tickets,
        recent_count=sum(1 for t in tickets if t.created_at >= since),
        schools=len({t.site_id for t in tickets}),
    )


def site_tickets(site, viewer, limit: int = SITE_TICKETS_LIMIT) -> list[Ticket]:
    """The site's newest tickets (`limit` + 1: the page says when there are more)."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.site_id == site.id, visible_to(viewer))
            .options(joinedload(Ticket.supplier))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit + 1)
        ).unique()
    )


def repeated_devices(equipment_ids: list[int], now: datetime | None = None) -> set[int]:
    """Of these devices, those with REPEAT_TICKETS or more tickets in the last twelve months."""
    if not equipment_ids:
        return set()
    since = (now or utcnow()) - REPEAT_WINDOW
    rows = db.session.execute(
        select(Ticket.equipment_id)
        .where(Ticket.equipment_id.in_(equipment_ids), Ticket.created_at >= since)
        .group_by(Ticket.equipment_id)
        .having(func.count() >= REPEAT_TICKETS)
    )
    return {equipment_id for (equipment_id,) in rows}
