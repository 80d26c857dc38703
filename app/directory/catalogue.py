"""The portal's default catalogue: its three categories and a first request type in each.

`ensure_default_catalogue()` creates what is missing and never touches what exists: an admin may
have renamed a category or changed a request type's service-level targets, and a second run must
not undo that. It does not commit.
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
    description: str
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
    description: str
    position: int
    request_types: tuple[RequestTypeSpec, ...]


# The categories and their texts are those of the current Ecole Numérique portal (docs/domain.md).
DEFAULT_CATALOGUE = (
    CategorySpec(
        key="TECH",
        name="Assistance technique",
        description=(
            "Notre équipe technique est là pour vous accompagner et vous aider en cas de problème"
        ),
        position=1,
        request_types=(
            RequestTypeSpec(
                name="Retour fournisseur",
                description=(
                    "Le matériel Ecole Numérique est en panne et le diagnostic de l'assistant "
                    "est fait : le fournisseur qui en assure la maintenance intervient à l'école."
                ),
            ),
        ),
    ),
    CategorySpec(
        key="INFO",
        name="Centre d'informations",
        description=(
            "Pour toutes demandes d'informations notre équipe administrative est là pour vous"
        ),
        position=2,
        request_types=(
            RequestTypeSpec(
                name="Demande d'informations",
                description=(
                    "Une question sur le programme Ecole Numérique, le matériel reçu, sa garantie "
                    "ou sa maintenance."
                ),
                handled_by_supplier=False,
            ),
        ),
    ),
    CategorySpec(
        key="PROJ",
        name="Gestion de projet",
        description=(
            "Nos Conseillers sont là pour vous accompagner dans l'introduction et la "
            "coordination de vos projets"
        ),
        position=3,
        request_types=(
            RequestTypeSpec(
                name="Accompagnement de projet",
                description=(
                    "L'introduction du matériel Ecole Numérique dans un projet pédagogique de "
                    "l'école, et sa coordination avec un conseiller."
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

    @property
    def changed(self) -> bool:
        return bool(self.categories_created or self.request_types_created)

    def lines(self) -> list[str]:
        out = [_("Catégorie créée : %(name)s", name=n) for n in self.categories_created]
        out += [_("Type de demande créé : %(name)s", name=n) for n in self.request_types_created]
        if not self.changed:
            out.append(_("Catalogue déjà en place : aucun changement."))
        return out


def ensure_default_catalogue() -> CatalogueReport:
    """Create the default categories and request types that do not exist yet (by key, by name)."""
    report = CatalogueReport()
    categories = {c.key: c for c in db.session.scalars(select(PortalCategory))}
    for spec in DEFAULT_CATALOGUE:
        category = categories.get(spec.key)
        if category is None:
            category = PortalCategory(
                key=spec.key, name=spec.name, description=spec.description, position=spec.position
            )
            db.session.add(category)
            report.categories_created.append(f"{spec.key} — {spec.name}")
        existing = {t.name for t in category.request_types} if category.id else set()
        for type_spec in spec.request_types:
            if type_spec.name in existing:
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
                    description=type_spec.description,
                    handled_by_supplier=type_spec.handled_by_supplier,
                    **targets,
                )
            )
            report.request_types_created.append(f"{spec.key} — {type_spec.name}")
    db.session.flush()
    return report
