"""Admin pages of the business calendar (FWB school holidays)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sla", __name__)
