"""`flask equipment …`: the equipment inventory from a CSV file of lots."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CommandError
from app.directory.equipment_import import EquipmentFileError, import_equipment
from app.extensions import db

equipment_cli = AppGroup("equipment", help="Inventaire du matériel (fichier CSV des lots).")


@equipment_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Importe un fichier CSV de lots (label, serial, model, lot, FE, FI, supplier, garantie)."""
    click.echo(_("Import de %(path)s", path=path))
    try:
        report = import_equipment(path)
        db.session.commit()
    except EquipmentFileError as exc:
        db.session.rollback()
        raise CommandError(_("Fichier refusé, rien n'a été importé.") + "\n" + str(exc)) from exc
    except BaseException:
        db.session.rollback()
        raise
    for line in report.lines():
        click.echo(line)
