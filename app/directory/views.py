"""Directory pages: schools, suppliers, equipment."""

from flask import Blueprint

bp = Blueprint("directory", __name__)
