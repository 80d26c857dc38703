"""`flask equipment …`: the equipment inventory from a CSV file of lots."""

from __future__ import annotations

from flask.cli import AppGroup

equipment_cli = AppGroup("equipment", help="Inventaire du matériel (fichier CSV des lots).")
