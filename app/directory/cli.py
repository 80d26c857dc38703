"""`flask schools …` and `flask catalogue …` commands: thin wrappers around plain modules."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.core.cli import CommandError, all_or_nothing, echo_report, file_refused, progress_bar
from app.directory.catalogue import Names, NameTaken, ensure_default_catalogue, rename
from app.directory.schools_import import PACKAGED_FILE, SchoolFileError, import_schools
from app.directory.sites_import import import_sites
from app.extensions import db
from app.models import PortalCategory, RequestType

schools_cli = AppGroup("schools", help="Annuaire des écoles (fichier signalétique FASE).")

catalogue_cli = AppGroup("catalogue", help="Catégories du portail et types de demande.")


@schools_cli.command("import")
@click.argument("path", required=False)
def import_command(path: str | None) -> None:
    """Importe le fichier signalétique FWB (.csv ou .csv.gz ; par défaut, celui du paquet)."""
    source = path or str(PACKAGED_FILE)
    click.echo(_("Import de %(path)s", path=source))
    started = time.perf_counter()
    with all_or_nothing({SchoolFileError: file_refused}):
        report = import_schools(source, progress=progress_bar())
    echo_report(report.lines(), started)


@schools_cli.command("import-sites")
@click.argument("path")
def import_sites_command(path: str) -> None:
    """Importe des implantations absentes du fichier FWB (écoles de la Communauté germanophone) :
    CSV « ; » décrit dans docs/operations.md."""
    click.echo(_("Import de %(path)s", path=path))
    with all_or_nothing({SchoolFileError: file_refused}):
        report = import_sites(path)
    echo_report(report.lines())


@catalogue_cli.command("init")
def catalogue_init_command() -> None:
    """Crée les catégories du portail et les types de demande par défaut (sans rien écraser)."""
    with all_or_nothing({}):
        report = ensure_default_catalogue()
    for line in report.lines():
        click.echo(line)


@catalogue_cli.command("list")
def catalogue_list_command() -> None:
    """Liste les types de demande et leurs objectifs (heures ouvrées, jours de clôture)."""
    rows = db.session.execute(
        select(PortalCategory.key, RequestType)
        .join(RequestType.category)
        .order_by(PortalCategory.key, RequestType.name)
    ).all()
    for key, kind in rows:
        days = _("jours d’école") if kind.auto_close_school_days else _("jours")
        german = kind.name_de or _("(pas de nom allemand)")
        click.echo(
            _(
                "%(key)s\t%(name)s\tprise en compte %(plan)s h\trésolution %(resolve)s h\t"
                "clôture après %(close)s %(days)s%(outside)s%(inactive)s",
                key=key,
                name=kind.name,
                plan=kind.take_into_account_hours,
                resolve=kind.resolve_hours,
                close=kind.auto_close_days,
                days=days,
                outside="" if kind.handled_by_supplier else " " + _("(sans fournisseur)"),
                inactive="" if kind.active else " " + _("(inactif)"),
            )
            + "\t"
            + german
        )


@catalogue_cli.command("targets")
@click.argument("category")
@click.argument("name")
@click.option("--plan-hours", type=click.IntRange(min=1), help="Prise en compte (heures ouvrées).")
@click.option("--resolve-hours", type=click.IntRange(min=1), help="Résolution (heures ouvrées).")
@click.option("--auto-close-days", type=click.IntRange(min=1), help="Clôture automatique (jours).")
@click.option(
    "--school-days/--calendar-days",
    default=None,
    help="Compter la clôture automatique en jours d’école, ou en jours de calendrier.",
)
def catalogue_targets_command(
    category: str,
    name: str,
    plan_hours: int | None,
    resolve_hours: int | None,
    auto_close_days: int | None,
    school_days: bool | None,
) -> None:
    """Change les objectifs d’un type de demande.

    Les délais déjà en cours gardent l’objectif de leur départ ; la clôture automatique des
    demandes terminées suit le nouveau réglage.
    """
    kind = _request_type(category, name)
    changes = {
        "take_into_account_hours": plan_hours,
        "resolve_hours": resolve_hours,
        "auto_close_days": auto_close_days,
        "auto_close_school_days": school_days,
    }
    for attribute, value in changes.items():
        if value is not None:
            setattr(kind, attribute, value)
    db.session.commit()
    click.echo(
        _(
            "%(name)s : prise en compte %(plan)s h, résolution %(resolve)s h, clôture après "
            "%(close)s %(days)s.",
            name=kind.name,
            plan=kind.take_into_account_hours,
            resolve=kind.resolve_hours,
            close=kind.auto_close_days,
            days=_("jours d’école") if kind.auto_close_school_days else _("jours"),
        )
    )


def _request_type(category: str, name: str):
    """The request type of that category named so, in French or in German (any case)."""

    wanted = name.strip().lower()
    kind = db.session.scalar(
        select(RequestType)
        .join(RequestType.category)
        .where(
            PortalCategory.key == category.strip().upper(),
            or_(func.lower(RequestType.name) == wanted, func.lower(RequestType.name_de) == wanted),
        )
        .order_by(RequestType.id)
        .limit(1)
    )
    if kind is None:
        raise CommandError(
            _(
                "Type de demande inconnu : %(key)s « %(name)s » (voir flask catalogue list).",
                key=category,
                name=name,
            )
        )
    return kind


@catalogue_cli.command("names")
@click.argument("category")
@click.argument("name", required=False)
@click.option("--fr", "name_fr", help="Nouveau nom en français.")
@click.option("--de", "name_de", help="Nom en allemand (« - » l’efface).")
def catalogue_names_command(
    category: str, name: str | None, name_fr: str | None, name_de: str | None
) -> None:
    """Nomme une catégorie (CATEGORY seule) ou un de ses types de demande, en français et en
    allemand. NAME peut être le nom français ou allemand du type."""

    if name is None:
        row = db.session.scalar(
            select(PortalCategory).where(PortalCategory.key == category.strip().upper())
        )
        if row is None:
            raise CommandError(_("Catégorie inconnue : %(key)s.", key=category))
    else:
        row = _request_type(category, name)
    german = row.name_de or "" if name_de is None else ("" if name_de == "-" else name_de)
    names = Names(
        name=row.name if name_fr is None else name_fr,
        name_de=german,
        description=row.description,
        description_de=row.description_de or "",
    )
    try:
        rename(row, names)
        db.session.commit()
    except NameTaken as exc:
        db.session.rollback()
        raise CommandError(str(exc)) from exc
    click.echo(
        _(
            "%(name)s / %(name_de)s",
            name=row.name,
            name_de=row.name_de or _("(pas de nom allemand)"),
        )
    )
