"""The dev mailbox pages (never registered in production)."""

from flask import Blueprint

bp = Blueprint("devmail", __name__)
