"""What the "new ticket" form looks up (the school site, the device, the choices it offers) and
the creation rules on the device that the form and the service both apply.

Plain functions over the database, no HTTP. The site search is the directory's
(app.directory.queries.school_search: FE, FI, postal code, words of the name without regard to
accents); FE:FI codes are read as the invitation form reads them (app.auth.lookups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.auth.lookups import find_site_by_code, parse_site_code
from app.directory.queries import equipment_search, parse_school_query, school_search
from app.extensions import db
from app.models import Equipment, PortalCategory, RequestType, Role, Site, Supplier, Ticket, User
from app.tickets.errors import TicketError
from app.tickets.permissions import CREATORS
from app.tickets.workflow import OPEN_STATUSES

if TYPE_CHECKING:
    from app.tickets.service import NewTicket

SITE_SUGGESTIONS = 8
EQUIPMENT_SUGGESTIONS = 5


# ------------------------------------------------------------------ school site


def suggest_sites(text: str | None, limit: int = SITE_SUGGESTIONS) -> list[Site]:
    """Sites matching what is typed so far (FE, FI, name, locality…); nothing for too little."""
    text = (text or "").strip()
    if len(text) < 2 or parse_school_query(text).empty:
        return []
    code = parse_site_code(text)
    if code:
        site = find_site_by_code(text)
        return [site] if site else []
    return list(db.session.scalars(school_search(text).limit(limit)))


def get_site(site_id: int | None) -> Site | None:
    if not site_id:
        return None
    return db.session.scalar(
        select(Site).where(Site.id == site_id).options(joinedload(Site.establishment))
    )


@dataclass
class SiteResolution:
    site: Site | None = None
    candidates: list[Site] = field(default_factory=list)
    error: str | None = None
    more: bool = False  # more candidates than shown


def resolve_site(text: str | None, picked_id: int | None = None) -> SiteResolution:
    """The site the person meant: a picked candidate, or the one site their text matches.

    Several matches come back as candidates to choose from (radio buttons, without JavaScript);
    none is an error that says what to try."""
    text = (text or "").strip()
    if picked_id:
        site = get_site(picked_id)
        if site is not None:
            return SiteResolution(site=site)
    if not text:
        return SiteResolution(error=_("Indiquez l’implantation : son numéro FI ou FE, ou son nom."))
    matches = suggest_sites(text, limit=SITE_SUGGESTIONS + 1)
    if len(matches) == 1:
        return SiteResolution(site=matches[0])
    if not matches:
        return SiteResolution(
            error=_(
                "Aucune implantation ne correspond à « %(text)s ». Essayez son numéro FI ou FE, "
                "ou un autre mot de son nom.",
                text=text,
            )
        )
    more = len(matches) > SITE_SUGGESTIONS
    return SiteResolution(
        candidates=matches[:SITE_SUGGESTIONS],
        more=more,
        error=_("Plusieurs implantations correspondent : choisissez-en une ci-dessous.")
        if not more
        else _(
            "Beaucoup d’implantations correspondent : choisissez-en une ci-dessous ou précisez "
            "(numéro FI, localité…)."
        ),
    )


def site_teachers(site: Site) -> list[User]:
    """The active teacher accounts of a site (a quick pick for the contact)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.site_id == site.id, User.role == Role.TEACHER, User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


# ------------------------------------------------------------------ equipment


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


def suggest_equipment(text: str | None, limit: int = EQUIPMENT_SUGGESTIONS) -> list[Equipment]:
    """Devices whose label or serial holds what is typed (at least 3 characters)."""
    text = (text or "").strip()
    if len(text) < 3:
        return []
    return list(db.session.scalars(equipment_search(text).limit(limit)))


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


def duplicates_for(label: str | None, serial: str | None, equipment: Equipment | None) -> list:
    """Open tickets for the same device: by what was typed, and by the inventory's numbers."""
    pairs = {((serial or "").strip(), (label or "").strip())}
    if equipment is not None:
        pairs.add((equipment.serial or "", equipment.label or ""))
    found = {t.id: t for s, lab in pairs for t in open_duplicates(s, lab)}
    return [found[k] for k in sorted(found)]


# ------------------------------------------------------------------ the rules on the device


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


def check_new_ticket(data: NewTicket) -> None:
    """The creation rules, for any caller of the ticket service: TicketError for the first
    broken one. A device chosen by its id is known even when nothing typed matches it."""
    label, serial = data.equipment_label, data.equipment_serial
    match = find_equipment(label, serial)
    if match.equipment is None and not match.conflict and data.equipment_id:
        match = EquipmentMatch(equipment=get_equipment(data.equipment_id))
    for field_name, message in equipment_problems(match, label, serial, data.equipment_description):
        raise TicketError(message, field=field_name)


# ------------------------------------------------------------------ choices


def request_type_groups() -> list[tuple[str, list[RequestType]]]:
    """Active request types, grouped by portal category (in the portal's order)."""
    rows = db.session.scalars(
        select(RequestType)
        .join(RequestType.category)
        .where(RequestType.active.is_(True))
        .options(joinedload(RequestType.category))
        .order_by(PortalCategory.position, PortalCategory.name, RequestType.name)
    )
    groups: list[tuple[str, list[RequestType]]] = []
    for request_type in rows:
        name = request_type.category.name
        if not groups or groups[-1][0] != name:
            groups.append((name, []))
        groups[-1][1].append(request_type)
    return groups


def active_suppliers() -> list[Supplier]:
    return list(
        db.session.scalars(
            select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.name)
        )
    )


def staff_members() -> list[User]:
    """Who may be the assistant in charge."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([r.value for r in CREATORS]), User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )
