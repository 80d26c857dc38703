"""`flask equipment …`: the equipment inventory from a CSV file of lots."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import all_or_nothing, echo_report, file_refused

equipment_cli = AppGroup("equipment", help="Inventaire du matériel (fichier CSV des lots).")


@equipment_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Importe un fichier CSV de lots (label, serial, model, lot, FE, FI, supplier, garantie)."""
    from app.directory.equipment_import import EquipmentFileError, import_equipment

    click.echo(_("Import de %(path)s", path=path))
    with all_or_nothing({EquipmentFileError: file_refused}):
        report = import_equipment(path)
    echo_report(report.lines())
