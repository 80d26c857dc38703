"""What the "new ticket" form looks up (the school site, the device, the choices it offers); the
creation rules on the device it applies live in app.tickets.creation_rules, with the service.

Plain functions over the database, no HTTP. The site search is the directory's
(app.directory.queries.school_search: FE, FI, postal code, words of the name without regard to
accents); FE:FI codes are read as the invitation form reads them (app.auth.lookups).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.lookups import find_site_by_code, parse_site_code
from app.directory.queries import equipment_search, parse_school_query, school_search
from app.extensions import db
from app.models import Equipment, PortalCategory, RequestType, Role, Site, Supplier, User

# The rules the form applies too, named from here for the views.
from app.tickets.creation_rules import EquipmentMatch as EquipmentMatch
from app.tickets.creation_rules import equipment_problems as equipment_problems
from app.tickets.creation_rules import find_equipment as find_equipment
from app.tickets.creation_rules import get_equipment as get_equipment
from app.tickets.creation_rules import open_duplicates
from app.tickets.permissions import CREATORS

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


def suggest_equipment(text: str | None, limit: int = EQUIPMENT_SUGGESTIONS) -> list[Equipment]:
    """Devices whose label or serial holds what is typed (at least 3 characters)."""
    text = (text or "").strip()
    if len(text) < 3:
        return []
    return list(db.session.scalars(equipment_search(text).limit(limit)))


def duplicates_for(label: str | None, serial: str | None, equipment: Equipment | None) -> list:
    """Open tickets for the same device: by what was typed, and by the inventory's numbers."""
    pairs = {((serial or "").strip(), (label or "").strip())}
    if equipment is not None:
        pairs.add((equipment.serial or "", equipment.label or ""))
    found = {t.id: t for s, lab in pairs for t in open_duplicates(s, lab)}
    return [found[k] for k in sorted(found)]


# ------------------------------------------------------------------ choices


def handled_by_en(request_type_id: int | None) -> bool:
    """The EN team handles this type of request itself (no supplier, often no device)."""
    request_type = db.session.get(RequestType, request_type_id) if request_type_id else None
    return request_type is not None and not request_type.handled_by_supplier


def at_another_site(equipment: Equipment | None, site: Site | None) -> bool:
    """The device is recorded at another site than the one named (a warning, never a refusal)."""
    return bool(equipment and site and equipment.site_id not in (None, site.id))


def request_type_groups() -> list[tuple[str, list[RequestType]]]:
    """Active request types, grouped by portal category (in the portal's order), named and
    sorted in the reader's language."""
    rows = db.session.scalars(
        select(RequestType)
        .join(RequestType.category)
        .where(RequestType.active.is_(True))
        .options(joinedload(RequestType.category))
        .order_by(
            PortalCategory.position,
            PortalCategory.label_column(),
            PortalCategory.id,
            RequestType.label_column(),
        )
    )
    groups: list[tuple[str, list[RequestType]]] = []
    last = None
    for request_type in rows:
        if request_type.category_id != last:
            groups.append((str(request_type.category.label), []))
            last = request_type.category_id
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
