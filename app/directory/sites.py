"""Sites the FWB's school directory does not list: the German-speaking Community's schools.

One site's values (`SiteValues`), the rules they must follow (`problems`), and the one way to
write them (`save_site`), shared by the import of a site file (app.directory.sites_import) and
the admin's « Implantation » form. A plain module: no request, no commit.

A site keeps the (FE, FI) pair every other site has. When the file or the form gives FASE
numbers, they are the key; when it does not (a DG school has none), the establishment is found
by its name and the site by its address and postal code among the sites Relais numbered, and a
new one gets the next numbers from `LOCAL_NUMBERS_FROM` (shown as « numéro Relais », never as a
FASE number). The rules and the file's columns: docs/operations.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.folding import fold_text
from app.extensions import db
from app.models import Establishment, Site
from app.models.school import LOCAL_NUMBERS_FROM
from app.sla.calendar import SCHOOL_CALENDARS

COMMUNITIES = ("fr", "de")
# A site of the German-speaking Community follows its school calendar unless told otherwise.
COMMUNITY_CALENDAR = {"fr": "fwb", "de": "dg"}

_NUMBER = re.compile(r"[0-9]{1,9}")
_POSTAL_CODE = re.compile(r"[0-9]{4}")

# The longest value each text may have (the model's columns).
LIMITS = {
    "name": 255,
    "network": 120,
    "address": 255,
    "postal_code": 10,
    "locality": 120,
    "teaching": 500,
}


@dataclass(frozen=True)
class SiteValues:
    name: str  # the establishment's name (a site is shown by it)
    address: str
    postal_code: str
    locality: str
    community: str = "de"  # "fr" or "de"
    school_calendar: str = ""  # "fwb" or "dg"; empty: the community's
    network: str = ""
    teaching: str = ""
    fe: int | None = None  # FASE numbers, when the site has them
    fi: int | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def calendar(self) -> str:
        return self.school_calendar or COMMUNITY_CALENDAR.get(self.community, "fwb")


def parse_number(text: str) -> int | str | None:
    """A FASE number as typed: None when empty, the number, or the text itself when it is not
    one (for `problems` to name)."""
    text = text.strip()
    if not text:
        return None
    return int(text) if _NUMBER.fullmatch(text) else text


def problems(values: SiteValues) -> list[tuple[str, str]]:
    """(field, French message) for each rule `values` breaks; empty when they may be saved."""
    found: list[tuple[str, str]] = []
    for attr, message in (
        ("name", _("Le nom de l’établissement est obligatoire.")),
        ("address", _("L’adresse est obligatoire.")),
        ("locality", _("La localité est obligatoire.")),
    ):
        if not getattr(values, attr).strip():
            found.append((attr, message))
    for attr, limit in LIMITS.items():
        if len(getattr(values, attr)) > limit:
            found.append((attr, _("%(n)s caractères au maximum.", n=limit)))
    if not _POSTAL_CODE.fullmatch(values.postal_code):
        found.append(("postal_code", _("Le code postal belge a quatre chiffres.")))
    if values.community not in COMMUNITIES:
        found.append(("community", _("Communauté inconnue : « fr » ou « de ».")))
    if values.school_calendar and values.school_calendar not in SCHOOL_CALENDARS:
        found.append(("school_calendar", _("Calendrier scolaire inconnu : « fwb » ou « dg ».")))
    for attr in ("fe", "fi"):
        number = getattr(values, attr)
        if isinstance(number, str) or (isinstance(number, int) and number < 1):
            found.append((attr, _("Un numéro FASE s’écrit en chiffres.")))
    if (values.fe is None) != (values.fi is None):
        found.append(("fi", _("Les numéros FE et FI vont ensemble : les deux, ou aucun.")))
    for attr, limit in (("latitude", 90), ("longitude", 180)):
        number = getattr(values, attr)
        if number is not None and not -limit <= number <= limit:
            found.append((attr, _("Coordonnée hors limites.")))
    if (values.latitude is None) != (values.longitude is None):
        found.append(("longitude", _("Latitude et longitude vont ensemble.")))
    return found


def key_of(values: SiteValues) -> tuple:
    """What names one site in a file: its numbers, or its name, address and postal code."""
    if values.fe is not None:
        return ("fase", values.fe, values.fi)
    return ("local", fold_text(values.name), fold_text(values.address), values.postal_code)


def save_site(values: SiteValues, site: Site | None = None) -> tuple[Site, str]:
    """Create or correct one site (`site`, or the one `values` name): "created", "updated" or
    "unchanged" (nothing written then). `values` must have no `problems`. Does not commit."""
    if site is None:
        site = find_site(values)
    if site is None:
        establishment = _establishment_for(values)
        site = Site(establishment=establishment, fi=values.fi or _next_local(Site.fi))
        db.session.add(site)
        outcome = "created"
    else:
        establishment, outcome = site.establishment, "unchanged"
    wanted_establishment = {
        "name": values.name,
        "network": values.network,
        # An establishment the FASE does not list has one address: its site's.
        **(_address(values) if establishment.fase_is_local or outcome == "created" else {}),
    }
    wanted_site = {
        **_address(values),
        "teaching": values.teaching,
        "school_calendar": values.calendar,
        "latitude": values.latitude,
        "longitude": values.longitude,
    }
    changed = False
    for row, wanted in ((establishment, wanted_establishment), (site, wanted_site)):
        for attr, value in wanted.items():
            if getattr(row, attr) != value:
                setattr(row, attr, value)
                changed = True
    if changed and outcome == "unchanged":
        outcome = "updated"
    db.session.flush()
    return site, outcome


def _address(values: SiteValues) -> dict[str, str]:
    return {
        "address": values.address,
        "postal_code": values.postal_code,
        "locality": values.locality,
    }


def find_site(values: SiteValues) -> Site | None:
    if values.fe is not None:
        return db.session.scalar(
            select(Site)
            .join(Site.establishment)
            .where(Establishment.fase == values.fe, Site.fi == values.fi)
        )
    key = key_of(values)
    local = db.session.scalars(
        select(Site)
        .join(Site.establishment)
        .where(Establishment.fase >= LOCAL_NUMBERS_FROM, Site.postal_code == values.postal_code)
        .order_by(Site.id)
    )
    return next((s for s in local if key_of(_values_of(s)) == key), None)


def _establishment_for(values: SiteValues) -> Establishment:
    if values.fe is not None:
        found = db.session.scalar(select(Establishment).where(Establishment.fase == values.fe))
    else:
        wanted = fold_text(values.name)
        found = next(
            (
                e
                for e in db.session.scalars(
                    select(Establishment)
                    .where(Establishment.fase >= LOCAL_NUMBERS_FROM)
                    .order_by(Establishment.id)
                )
                if fold_text(e.name) == wanted
            ),
            None,
        )
    if found is None:
        found = Establishment(fase=values.fe or _next_local(Establishment.fase), name=values.name)
        db.session.add(found)
        db.session.flush()
    return found


def _next_local(column) -> int:
    highest = db.session.scalar(select(func.max(column)).where(column >= LOCAL_NUMBERS_FROM))
    return (highest or LOCAL_NUMBERS_FROM) + 1


def _values_of(site: Site) -> SiteValues:
    return SiteValues(
        name=site.establishment.name,
        address=site.address,
        postal_code=site.postal_code,
        locality=site.locality,
    )


def values_of(site: Site) -> SiteValues:
    """A stored site's values, as the form shows them to be corrected."""
    return replace(
        _values_of(site),
        community="de" if site.school_calendar == "dg" else "fr",
        school_calendar=site.school_calendar,
        network=site.establishment.network,
        teaching=site.teaching,
        fe=site.fe,
        fi=site.fi,
        latitude=site.latitude,
        longitude=site.longitude,
    )
