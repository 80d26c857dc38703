"""`flask schools …` and `flask catalogue …` commands: thin wrappers around plain modules."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CommandError, all_or_nothing, echo_report, file_refused, progress_bar
from app.extensions import db

schools_cli = AppGroup("schools", help="Annuaire des écoles (fichier signalétique FASE).")

catalogue_cli = AppGroup("catalogue", help="Catégories du portail et types de demande.")


@schools_cli.command("import")
@click.argument("path", required=False)
def import_command(path: str | None) -> None:
    """Importe le fichier signalétique FWB (.csv ou .csv.gz ; par défaut, celui du paquet)."""
    from app.directory.schools_import import PACKAGED_FILE, SchoolFileError, import_schools

    source = path or str(PACKAGED_FILE)
    click.echo(_("Import de %(path)s", path=source))
    started = time.perf_counter()
    with all_or_nothing({SchoolFileError: file_refused}):
        report = import_schools(source, progress=progress_bar())
    echo_report(report.lines(), started)


@catalogue_cli.command("init")
def catalogue_init_command() -> None:
    """Crée les catégories du portail et les types de demande par défaut (sans rien écraser)."""
    from app.directory.catalogue import ensure_default_catalogue

    try:
        report = ensure_default_catalogue()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for line in report.lines():
        click.echo(line)


@catalogue_cli.command("list")
def catalogue_list_command() -> None:
    """Liste les types de demande et leurs objectifs (heures ouvrées, jours de clôture)."""
    from sqlalchemy import select

    from app.models import PortalCategory, RequestType

    rows = db.session.execute(
        select(PortalCategory.key, RequestType)
        .join(RequestType.category)
        .order_by(PortalCategory.key, RequestType.name)
    ).all()
    for key, kind in rows:
        days = _("jours d’école") if kind.auto_close_school_days else _("jours")
        click.echo(
            _(
                "%(key)s\t%(name)s\tprise en compte %(plan)s h\trésolution %(resolve)s h\t"
                "clôture après %(close)s %(days)s%(inactive)s",
                key=key,
                name=kind.name,
                plan=kind.take_into_account_hours,
                resolve=kind.resolve_hours,
                close=kind.auto_close_days,
                days=days,
                inactive="" if kind.active else " " + _("(inactif)"),
            )
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
    from sqlalchemy import func, select

    from app.models import PortalCategory, RequestType

    kind = db.session.scalar(
        select(RequestType)
        .join(RequestType.category)
        .where(
            PortalCategory.key == category.strip().upper(),
            func.lower(RequestType.name) == name.strip().lower(),
        )
    )
    if kind is None:
        raise CommandError(
            _(
                "Type de demande inconnu : %(key)s « %(name)s » (voir flask catalogue list).",
                key=category,
                name=name,
            )
        )
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
