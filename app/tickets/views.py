"""Ticket pages ("Demandes")."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Ticket
from app.tickets.permissions import can_view

bp = Blueprint("tickets", __name__)


def get_ticket_or_404(reference: str) -> Ticket:
    """The ticket if the current user may see it; 404 otherwise (no hint that it exists)."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()))
    if ticket is None or not can_view(current_user, ticket):
        abort(404)
    return ticket


@bp.route("/<reference>")
@login_required
def show(reference: str):
    ticket = get_ticket_or_404(reference)
    return render_template("tickets/show.html", ticket=ticket)
