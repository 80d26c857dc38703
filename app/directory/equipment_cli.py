"""`flask equipment …`: the equipment inventory from a CSV file of lots."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.directory.cli import run_import
from app.directory.equipment_import import EquipmentFileError, import_equipment

equipment_cli = AppGroup("equipment", help="Inventaire du matériel (fichier CSV des lots).")


@equipment_cli.command("import")
@click.argument("path")  # checked by the import, which says what is wrong in French
def import_command(path: str) -> None:
    """Importe un fichier CSV de lots en UTF-8 (.csv ou .csv.gz) : étiquette, numéro de série,
    modèle, lot, FE, FI, fournisseur, fin de garantie."""
    run_import(path, lambda: import_equipment(path), EquipmentFileError)
