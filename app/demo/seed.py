"""Demo data: the real school directory, the default catalogue, invented companies and people.

`seed_demo()` is idempotent: every object has a natural key (a supplier's name, an account's
e-mail address, an equipment label) and only what is missing is created; nothing that exists is
changed, so a second run creates nothing. It is deterministic: the equipment plan comes from a
`random.Random` with a fixed seed over the sites sorted by (FE, FI), and a serial number is drawn
from its label alone. The demo tickets (app.demo.tickets) come last, only into a database that
has none, through the ticket service, which commits each change: what came before is committed
with the first ticket.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.passwords import hash_password
from app.demo.accounts import DEMO_ACCOUNTS, DEMO_SUPPLIERS
from app.demo.tickets import seed_tickets
from app.directory.catalogue import CatalogueReport, ensure_default_catalogue
from app.directory.schools_import import ImportReport, ProgressFactory, import_schools
from app.directory.sites_import import EXAMPLE_FILE, import_sites
from app.extensions import db
from app.models import Equipment, Establishment, Role, Site, Supplier, User
from app.sla.holidays import import_packaged

SEED = 20250401
SITES_WITH_EQUIPMENT = 60  # besides the demo teachers' sites


@dataclass(frozen=True)
class DemoLot:
    lot: str
    model: str
    wave: int  # the programme's call for projects: the "EN01" of a label
    serial_prefix: str
    warranty_end: date  # of the first deliveries; later ones run a few weeks longer
    per_site: tuple[int, int]  # how many a site received, at least and at most


DEMO_LOTS = (
    DemoLot("Lot 01", "Ordinateur portable 14 pouces", 1, "5CD", date(2026, 8, 31), (4, 12)),
    DemoLot("Lot 02", "Écran interactif 75 pouces", 1, "IFP", date(2027, 6, 30), (1, 3)),
    DemoLot("Lot 03", "Tablette 10 pouces", 1, "R9T", date(2025, 12, 31), (6, 16)),
    DemoLot("Lot 04", "Vidéoprojecteur", 2, "VPX", date(2028, 8, 31), (1, 2)),
    DemoLot("Lot 05", "Visualiseur de documents", 2, "DCV", date(2029, 8, 31), (1, 2)),
)


@dataclass
class SeedReport:
    schools: ImportReport
    catalogue: CatalogueReport
    suppliers_created: list[str] = field(default_factory=list)
    accounts_created: list[str] = field(default_factory=list)
    equipment_created: int = 0
    equipment_planned: int = 0
    tickets_created: int = 0
    holidays: object = None  # app.sla.holidays.PackagedReport
    dg_sites: object = None  # app.directory.sites_import.SiteImportReport

    @property
    def changed(self) -> bool:
        return bool(
            self.schools.changed
            or self.catalogue.changed
            or self.suppliers_created
            or self.accounts_created
            or self.equipment_created
            or self.tickets_created
            or (self.holidays is not None and self.holidays.created)
            or (self.dg_sites is not None and self.dg_sites.changed)
        )

    def lines(self) -> list[str]:
        n = format_decimal
        out = [_("Annuaire des écoles :")]
        out += [f"  {line}" for line in self.schools.lines()]
        if self.dg_sites is not None:
            out.append(_("Écoles de la Communauté germanophone (exemple) :"))
            out += [f"  {line}" for line in self.dg_sites.lines()]
        out.append(_("Catalogue :"))
        out += [f"  {line}" for line in self.catalogue.lines()]
        if self.holidays is not None:
            out.append(_("Congés scolaires :"))
            out += [f"  {line}" for line in self.holidays.lines()]
        out.append(
            _("Fournisseurs créés : %(count)s", count=n(len(self.suppliers_created)))
            + (f" ({', '.join(self.suppliers_created)})" if self.suppliers_created else "")
        )
        out.append(_("Comptes créés : %(count)s", count=n(len(self.accounts_created))))
        out.append(
            _(
                "Matériels créés : %(created)s (sur %(planned)s prévus)",
                created=n(self.equipment_created),
                planned=n(self.equipment_planned),
            )
        )
        out.append(_("Demandes créées : %(count)s", count=n(self.tickets_created)))
        if self.changed:
            out.append(_("Données de démonstration en place (comptes : flask demo accounts)."))
        else:
            out.append(_("Données de démonstration déjà en place : rien de nouveau."))
        return out


class DemoSeedError(RuntimeError):
    """The demo data cannot be built (e.g. a demo teacher's site is not in the directory)."""


def seed_demo(*, progress: ProgressFactory | None = None, tickets: bool = True) -> SeedReport:
    report = SeedReport(
        schools=import_schools(progress=progress), catalogue=ensure_default_catalogue()
    )

    # Schools the FWB file does not list: the German-speaking Community's example sites.
    report.dg_sites = import_sites(EXAMPLE_FILE)

    # The school holidays first (both calendars, the packaged years and the provisional ones
    # after them): the demo tickets' service-level clocks count them.
    report.holidays = import_packaged()
    suppliers = _ensure_suppliers(report)
    sites = _sites_by_fase()
    teacher_sites = _teacher_sites()
    _ensure_accounts(report, suppliers, sites, teacher_sites)
    _ensure_equipment(report, suppliers, sites, list(teacher_sites.values()))
    db.session.flush()
    if tickets:
        report.tickets_created = seed_tickets()
    return report


def _ensure_suppliers(report: SeedReport) -> dict[str, Supplier]:
    existing = {s.name: s for s in db.session.scalars(select(Supplier))}
    for spec in DEMO_SUPPLIERS:
        if spec.name not in existing:
            supplier = Supplier(
                name=spec.name, reference_email=spec.reference_email, phone=spec.phone
            )
            db.session.add(supplier)
            existing[spec.name] = supplier
            report.suppliers_created.append(spec.name)
    return existing


def _sites_by_fase() -> dict[tuple[int, int], Site]:
    rows = db.session.execute(
        select(Site, Establishment.fase)
        .join(Site.establishment)
        .order_by(Establishment.fase, Site.fi)
    )
    return {(fase, site.fi): site for site, fase in rows}


def _teacher_sites() -> dict[str, tuple[int, int]]:
    """Each demo teacher's site as (FE, FI), by e-mail; a school outside the FWB file (no FE/FI
    in its file) is found by its establishment's name, whatever local numbers it was given."""
    names = [a.school for a in DEMO_ACCOUNTS if a.school]
    rows = db.session.execute(
        select(Establishment.name, Establishment.fase, Site.fi)
        .join(Site.establishment)
        .where(Establishment.name.in_(names))
        .order_by(Site.fi)
    )
    by_name: dict[str, tuple[int, int]] = {}
    for name, fase, fi in rows:
        by_name.setdefault(name, (fase, fi))
    found = {}
    for account in DEMO_ACCOUNTS:
        key = account.site or by_name.get(account.school or "")
        if account.site or account.school:
            if key is None:
                raise DemoSeedError(
                    _(
                        "L'implantation %(school)s de %(name)s n'est pas dans l'annuaire.",
                        school=account.where,
                        name=account.full_name,
                    )
                )
            found[account.email] = key
    return found


def _ensure_accounts(
    report: SeedReport,
    suppliers: dict[str, Supplier],
    sites: dict[tuple[int, int], Site],
    teacher_sites: dict[str, tuple[int, int]],
) -> None:
    emails = set(db.session.scalars(select(User.email)))
    for account in DEMO_ACCOUNTS:
        if account.email in emails:
            continue
        key = teacher_sites.get(account.email)
        site = sites.get(key) if key else None
        if key is not None and site is None:
            raise DemoSeedError(
                _(
                    "L'implantation FE %(fe)s / FI %(fi)s de %(name)s n'est pas dans l'annuaire.",
                    fe=key[0],
                    fi=key[1],
                    name=account.full_name,
                )
            )
        db.session.add(
            User(
                email=account.email,
                full_name=account.full_name,
                role=Role(account.role).value,
                password_hash=hash_password(account.password),
                phone=account.phone,
                supplier=suppliers[account.supplier] if account.supplier else None,
                site=site,
                language=account.language,
            )
        )
        emails.add(account.email)
        report.accounts_created.append(account.email)


@dataclass(frozen=True)
class _PlannedItem:
    lot: DemoLot
    label: str
    site_key: tuple[int, int]
    warranty_end: date


def equipment_plan(
    site_keys: list[tuple[int, int]], teacher_sites: list[tuple[int, int]]
) -> list[_PlannedItem]:
    """The same list for the same sites, every time: which site got what, under which label
    (the demo teachers' `teacher_sites` first, with every lot)."""
    rng = random.Random(SEED)
    others = sorted(key for key in site_keys if key not in teacher_sites)
    chosen = teacher_sites + sorted(rng.sample(others, min(SITES_WITH_EQUIPMENT, len(others))))
    numbers = dict.fromkeys((lot.lot for lot in DEMO_LOTS), 0)
    plan = []
    for index, site_key in enumerate(chosen):
        # The demo teachers' schools got every lot; the others one to three of them.
        lots = DEMO_LOTS if index < len(teacher_sites) else rng.sample(DEMO_LOTS, rng.randint(1, 3))
        for lot in sorted(lots, key=lambda lot: lot.lot):
            delivered_late = timedelta(days=rng.choice((0, 0, 14, 30, 61)))
            for _i in range(rng.randint(*lot.per_site)):
                numbers[lot.lot] += 1
                label = f"EN{lot.wave:02d}-LOT{lot.lot[-2:]}-{numbers[lot.lot]:05d}"
                plan.append(_PlannedItem(lot, label, site_key, lot.warranty_end + delivered_late))
    return plan


def serial_for(label: str, prefix: str) -> str:
    """A manufacturer-like serial number drawn from the label alone (stable across runs)."""
    rng = random.Random(label)
    return prefix + "".join(rng.choices(string.digits + "ABCDEFGHJKLMNPQRSTUVWXYZ", k=7))


def _ensure_equipment(
    report: SeedReport,
    suppliers: dict[str, Supplier],
    sites: dict[tuple[int, int], Site],
    teacher_sites: list[tuple[int, int]],
) -> None:
    maintainer = {lot: suppliers[s.name] for s in DEMO_SUPPLIERS for lot in s.lots}
    plan = equipment_plan(list(sites), teacher_sites)
    report.equipment_planned = len(plan)
    labels = set(db.session.scalars(select(Equipment.label).where(Equipment.label.is_not(None))))
    serials = set(db.session.scalars(select(Equipment.serial).where(Equipment.serial.is_not(None))))
    for item in plan:
        if item.label in labels:
            continue
        serial = serial_for(item.label, item.lot.serial_prefix)
        if serial in serials:
            serial = None  # another item holds it: the label alone identifies this one
        db.session.add(
            Equipment(
                lot=item.lot.lot,
                model=item.lot.model,
                label=item.label,
                serial=serial,
                site=sites[item.site_key],
                supplier=maintainer[item.lot.lot],
                warranty_end=item.warranty_end,
            )
        )
        labels.add(item.label)
        if serial:
            serials.add(serial)
        report.equipment_created += 1
