"""The portal's default catalogue: `ensure_default_catalogue()` and `flask catalogue init`."""

from __future__ import annotations

from sqlalchemy import func, select

from app.directory.catalogue import ensure_default_catalogue
from app.extensions import db
from app.models import PortalCategory, RequestType

# The current portal's texts (docs/domain.md).
PORTAL = {
    "TECH": (
        "Assistance technique",
        "Notre équipe technique est là pour vous accompagner et vous aider en cas de problème",
    ),
    "INFO": (
        "Centre d'informations",
        "Pour toutes demandes d'informations notre équipe administrative est là pour vous",
    ),
    "PROJ": (
        "Gestion de projet",
        "Nos Conseillers sont là pour vous accompagner dans l'introduction et la coordination "
        "de vos projets",
    ),
}


def categories() -> dict[str, PortalCategory]:
    db.session.expire_all()
    return {c.key: c for c in db.session.scalars(select(PortalCategory))}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_default_catalogue_has_the_portal_categories(app):
    report = ensure_default_catalogue()
    db.session.commit()

    found = categories()
    assert {key: (c.name, c.description) for key, c in found.items()} == PORTAL
    assert [c.key for c in sorted(found.values(), key=lambda c: c.position)] == [
        "TECH",
        "INFO",
        "PROJ",
    ]
    assert all(c.last_number == 0 for c in found.values())

    tech_types = {t.name: t for t in found["TECH"].request_types}
    retour = tech_types["Retour fournisseur"]
    assert (retour.take_into_account_hours, retour.resolve_hours, retour.auto_close_days) == (
        8,
        16,
        15,
    )
    assert retour.active
    assert len(found["INFO"].request_types) == 1
    assert len(found["PROJ"].request_types) == 1
    assert report.categories_created == [
        "TECH — Assistance technique",
        "INFO — Centre d'informations",
        "PROJ — Gestion de projet",
    ]
    assert "TECH — Retour fournisseur" in report.request_types_created


def test_second_run_creates_nothing_and_keeps_an_admins_changes(app):
    ensure_default_catalogue()
    db.session.commit()
    retour = db.session.scalar(select(RequestType).where(RequestType.name == "Retour fournisseur"))
    retour.resolve_hours = 24  # an admin's decisions
    db.session.commit()
    categories()["INFO"].name = "Informations"
    db.session.commit()

    report = ensure_default_catalogue()
    db.session.commit()

    assert not report.changed
    assert report.lines() == ["Catalogue déjà en place : aucun changement."]
    assert count(PortalCategory) == 3
    assert count(RequestType) == 3
    found = categories()
    assert found["INFO"].name == "Informations"
    assert {t.name: t.resolve_hours for t in found["TECH"].request_types} == {
        "Retour fournisseur": 24
    }


def test_a_missing_request_type_is_added_to_an_existing_category(app):
    db.session.add(PortalCategory(key="TECH", name="Support", position=1))
    db.session.commit()

    report = ensure_default_catalogue()
    db.session.commit()

    assert report.categories_created == [
        "INFO — Centre d'informations",
        "PROJ — Gestion de projet",
    ]
    found = categories()
    assert found["TECH"].name == "Support"  # left as it was
    assert [t.name for t in found["TECH"].request_types] == ["Retour fournisseur"]


def test_command_reports_what_it_created_then_nothing(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["catalogue", "init"])
    assert first.exit_code == 0, first.output
    assert "Catégorie créée : TECH — Assistance technique" in first.output
    assert "Catégorie créée : PROJ — Gestion de projet" in first.output
    assert "Type de demande créé : TECH — Retour fournisseur" in first.output

    second = runner.invoke(args=["catalogue", "init"])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "Catalogue déjà en place : aucun changement."
    assert count(PortalCategory) == 3


def test_an_admin_changes_a_request_types_targets_from_the_command_line(app):
    ensure_default_catalogue()
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "catalogue",
            "targets",
            "tech",
            "retour fournisseur",
            "--plan-hours",
            "4",
            "--auto-close-days",
            "10",
            "--school-days",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "prise en compte 4 h" in result.output
    db.session.expire_all()
    kind = db.session.scalar(select(RequestType).where(RequestType.name == "Retour fournisseur"))
    assert (kind.take_into_account_hours, kind.resolve_hours) == (4, 16)
    assert (kind.auto_close_days, kind.auto_close_school_days) == (10, True)

    listed = runner.invoke(args=["catalogue", "list"])
    assert "TECH\tRetour fournisseur\tprise en compte 4 h\trésolution 16 h" in listed.output
    assert "clôture après 10 jours d’école" in listed.output

    unknown = runner.invoke(args=["catalogue", "targets", "TECH", "Inconnu", "--plan-hours", "2"])
    assert unknown.exit_code != 0
    assert "Type de demande inconnu" in unknown.output
    refused = runner.invoke(
        args=["catalogue", "targets", "TECH", "Retour fournisseur", "--plan-hours", "0"]
    )
    assert refused.exit_code != 0
