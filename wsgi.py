"""WSGI entry point: `gunicorn wsgi:app`, and FLASK_APP for the `flask` command."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # one line, not a traceback: the operator reads it in the logs
    sys.exit(f"Relais : {exc}")
