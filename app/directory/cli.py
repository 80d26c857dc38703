"""`flask schools …` and `flask catalogue …` commands: thin wrappers around plain modules."""

from __future__ import annotations

import sys
import time
from functools import partial

import click
from flask.cli import AppGroup
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.core.cli import CommandError
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
    # A bar only for a person at a terminal; scripts and logs get the report alone.
    progress = partial(click.progressbar, show_pos=True) if sys.stdout.isatty() else None
    started = time.perf_counter()
    try:
        report = import_schools(source, progress=progress)
        db.session.commit()
    except SchoolFileError as exc:
        db.session.rollback()
        raise CommandError(_("Fichier refusé, rien n'a été importé.") + "\n" + str(exc)) from exc
    except BaseException:
        db.session.rollback()
        raise
    for line in report.lines():
        click.echo(line)
    seconds = format_decimal(time.perf_counter() - started, format="0.0")
    click.echo(_("Durée : %(seconds)s s", seconds=seconds))


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
