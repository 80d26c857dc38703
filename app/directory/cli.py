"""`flask schools …` commands."""

from flask.cli import AppGroup

schools_cli = AppGroup("schools", help="Annuaire des écoles (fichier signalétique FASE).")

catalogue_cli = AppGroup("catalogue", help="Catégories du portail et types de demande.")
