"""`flask equipment …`: the equipment inventory from a CSV file of lots."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import all_or_nothing, echo_report, file_refused
from app.directory.equipment_import import EquipmentFileError, import_equipment

equipment_cli = AppGroup("equipment", help="Inventaire du matériel (fichier CSV des lots).")


@equipment_cli.command("import")
@click.argument("path")  # checked by the import, which says what is wrong in French
def import_command(path: str) -> None:
    """Importe un fichier CSV de lots en UTF-8 (.csv ou .csv.gz) : étiquette, numéro de série,
    modèle, lot, FE, FI, fournisseur, fin de garantie."""
    click.echo(_("Import de %(path)s", path=path))
    with all_or_nothing({EquipmentFileError: file_refused}):
        report = import_equipment(path)
    echo_report(report.lines())
