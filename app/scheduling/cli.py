"""`flask jobs …`: periodic work by hand or from the embedded mode's ticker."""

from __future__ import annotations

from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Travaux périodiques (envois, clôtures, rappels).")
