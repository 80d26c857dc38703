"""The portal's default catalogue: its three categories and a first request type in each.

`ensure_default_catalogue()` creates what is missing and never touches what exists: an admin may
have renamed a category or changed a request type's service-level targets, and a second run must
not undo that. The one thing it adds to an existing row is a German name or description still
empty (a catalogue created before names had two languages). It does not commit.

`rename()` is the admin's change of a category's or a request type's names and descriptions, in
French and German (the « Catalogue » page).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import PortalCategory, RequestType


@dataclass(frozen=True)
class RequestTypeSpec:
    name: str
    name_de: str
    description: str
    description_de: str
    # Business hours, then calendar days (docs/domain.md); None keeps the model's defaults.
    take_into_account_hours: int | None = None
    resolve_hours: int | None = None
    auto_close_days: int | None = None
    # False for the EN team's own requests: they do not count in the suppliers' figures.
    handled_by_supplier: bool = True


@dataclass(frozen=True)
class CategorySpec:
    key: str
    name: str
    name_de: str
    description: str
    description_de: str
    position: int
    request_types: tuple[RequestTypeSpec, ...]


# The categories and their texts are those of the current Ecole Numérique portal (docs/domain.md).
DEFAULT_CATALOGUE = (
    CategorySpec(
        key="TECH",
        name="Assistance technique",
        name_de="Technische Unterstützung",
        description=(
            "Notre équipe technique est là pour vous accompagner et vous aider en cas de problème"
        ),
        description_de=(
            "Unser technisches Team ist für Sie da und hilft Ihnen bei jedem Problem weiter"
        ),
        position=1,
        request_types=(
            RequestTypeSpec(
                name="Retour fournisseur",
                name_de="Weiterleitung an den Lieferanten",
                description=(
                    "Le matériel Ecole Numérique est en panne et le diagnostic de l'assistant "
                    "est fait : le fournisseur qui en assure la maintenance intervient à l'école."
                ),
                description_de=(
                    "Das Ecole-Numérique-Gerät ist defekt und der Assistent hat die Diagnose "
                    "gestellt: Der Lieferant, der es wartet, kommt in die Schule."
                ),
            ),
        ),
    ),
    CategorySpec(
        key="INFO",
        name="Centre d'informations",
        name_de="Informationszentrum",
        description=(
            "Pour toutes demandes d'informations notre équipe administrative est là pour vous"
        ),
        description_de="Für alle Informationsanfragen ist unser Verwaltungsteam für Sie da",
        position=2,
        request_types=(
            RequestTypeSpec(
                name="Demande d'informations",
                name_de="Informationsanfrage",
                description=(
                    "Une question sur le programme Ecole Numérique, le matériel reçu, sa garantie "
                    "ou sa maintenance."
                ),
                handled_by_supplier=False,
                description_de=(
                    "Eine Frage zum Programm Ecole Numérique, zum erhaltenen Material, zu seiner "
                    "Garantie oder seiner Wartung."
                ),
            ),
        ),
    ),
    CategorySpec(
        key="PROJ",
        name="Gestion de projet",
        name_de="Projektverwaltung",
        description=(
            "Nos Conseillers sont là pour vous accompagner dans l'introduction et la "
            "coordination de vos projets"
        ),
        description_de=(
            "Unsere Berater begleiten Sie bei der Einführung und der Koordination Ihrer Projekte"
        ),
        position=3,
        request_types=(
            RequestTypeSpec(
                name="Accompagnement de projet",
                name_de="Projektbegleitung",
                description=(
                    "L'introduction du matériel Ecole Numérique dans un projet pédagogique de "
                    "l'école, et sa coordination avec un conseiller."
                ),
                description_de=(
                    "Die Einbindung des Ecole-Numérique-Materials in ein pädagogisches Projekt "
                    "der Schule und ihre Koordination mit einem Berater."
                ),
                # A project is accompanied over weeks, not fixed in two days: a conseiller
                # answers within two business days and the follow-up runs for two weeks.
                take_into_account_hours=16,
                resolve_hours=80,
                handled_by_supplier=False,
            ),
        ),
    ),
)


@dataclass
class CatalogueReport:
    categories_created: list[str] = field(default_factory=list)  # "TECH — Assistance technique"
    request_types_created: list[str] = field(default_factory=list)  # "TECH — Retour fournisseur"
    german_added: list[str] = field(default_factory=list)  # "TECH — Assistance technique"

    @property
    def changed(self) -> bool:
        return bool(self.categories_created or self.request_types_created or self.german_added)

    def lines(self) -> list[str]:
        out = [_("Catégorie créée : %(name)s", name=n) for n in self.categories_created]
        out += [_("Type de demande créé : %(name)s", name=n) for n in self.request_types_created]
        out += [_("Texte allemand ajouté : %(name)s", name=n) for n in self.german_added]
        if not self.changed:
            out.append(_("Catalogue déjà en place : aucun changement."))
        return out


def _add_german(row: PortalCategory | RequestType, spec, report: CatalogueReport, key: str):
    """Fill the German texts an older catalogue lacks; never replace one an admin wrote."""
    added = False
    for attr in ("name_de", "description_de"):
        if not getattr(row, attr):
            setattr(row, attr, getattr(spec, attr))
            added = True
    if added:
        report.german_added.append(f"{key} — {row.name}")


def ensure_default_catalogue() -> CatalogueReport:
    """Create the default categories and request types that do not exist yet (by key, by name)."""
    report = CatalogueReport()
    categories = {c.key: c for c in db.session.scalars(select(PortalCategory))}
    for spec in DEFAULT_CATALOGUE:
        category = categories.get(spec.key)
        if category is None:
            category = PortalCategory(
                key=spec.key,
                name=spec.name,
                name_de=spec.name_de,
                description=spec.description,
                description_de=spec.description_de,
                position=spec.position,
            )
            db.session.add(category)
            report.categories_created.append(f"{spec.key} — {spec.name}")
        elif category.name == spec.name:  # not renamed by an admin: its German is ours to give
            _add_german(category, spec, report, spec.key)
        existing = {t.name: t for t in category.request_types} if category.id else {}
        for type_spec in spec.request_types:
            if type_spec.name in existing:
                _add_german(existing[type_spec.name], type_spec, report, spec.key)
                continue
            targets = {
                attr: getattr(type_spec, attr)
                for attr in ("take_into_account_hours", "resolve_hours", "auto_close_days")
                if getattr(type_spec, attr) is not None
            }
            db.session.add(
                RequestType(
                    category=category,
                    name=type_spec.name,
                    name_de=type_spec.name_de,
                    description=type_spec.description,
                    handled_by_supplier=type_spec.handled_by_supplier,
                    description_de=type_spec.description_de,
                    **targets,
                )
            )
            report.request_types_created.append(f"{spec.key} — {type_spec.name}")
    db.session.flush()
    return report


# ------------------------------------------------------------------ the admin's changes


@dataclass(frozen=True)
class Names:
    """A category's or a request type's texts; the German ones empty when not written yet."""

    name: str
    name_de: str = ""
    description: str = ""
    description_de: str = ""


# The columns' lengths (app.models.catalogue).
LIMITS = {"name": 120, "name_de": 120, "description": 500, "description_de": 500}


class NameTaken(ValueError):
    """A name refused (empty, too long, or another row of the same list has it already):
    `field` says which one."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(message)


def rename(row: PortalCategory | RequestType, names: Names) -> bool:
    """Set both languages' texts of `row` (the French name is required, the rest may be empty).

    Two request types of one category, or two categories, may not share a name in either
    language: a person choosing among them could not tell them apart. Returns whether anything
    changed. Does not commit.
    """
    if not names.name.strip():
        raise NameTaken("name", _("Le nom en français est obligatoire."))
    for attr, limit in LIMITS.items():
        if len(getattr(names, attr).strip()) > limit:
            raise NameTaken(attr, _("%(n)s caractères au maximum.", n=limit))
    if isinstance(row, RequestType):
        siblings = select(RequestType).where(RequestType.category_id == row.category_id)
        model = RequestType
    else:
        siblings = select(PortalCategory)
        model = PortalCategory
    others = list(db.session.scalars(siblings.where(model.id != row.id)))
    for attr in ("name", "name_de"):
        wanted = getattr(names, attr).strip().casefold()
        if wanted and any(
            wanted in {(o.name or "").casefold(), (o.name_de or "").casefold()} for o in others
        ):
            raise NameTaken(attr, _("Ce nom est déjà pris par un autre élément de la liste."))
    values = {
        "name": names.name.strip(),
        "name_de": names.name_de.strip() or None,
        "description": names.description.strip(),
        "description_de": names.description_de.strip() or None,
    }
    changed = any(getattr(row, attr) != value for attr, value in values.items())
    for attr, value in values.items():
        setattr(row, attr, value)
    db.session.flush()
    return changed
