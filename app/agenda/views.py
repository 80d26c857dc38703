"""The calendar feeds (a secret token in the URL, for phone calendar apps)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agenda", __name__)
