"""The pages the approval mail's links open (no password: the signed link is the proof)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mail_actions", __name__)
