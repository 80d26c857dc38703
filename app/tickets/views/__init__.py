"""Ticket pages ("Demandes"): one blueprint, its routes split by page into the modules below."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Ticket
from app.tickets import display
from app.tickets.permissions import can_view

bp = Blueprint("tickets", __name__)


def get_ticket_or_404(reference: str, *, for_page: bool = False) -> Ticket:
    """The ticket if the current user may see it; 404 otherwise (no hint that it exists).

    `for_page`: with everything its page shows (display.page_query), read once."""
    query = display.page_query() if for_page else select(Ticket)
    found = db.session.scalars(query.where(Ticket.reference == reference.upper()))
    ticket = found.unique().one_or_none()
    if ticket is None or not can_view(current_user, ticket):
        abort(404)
    return ticket


# The route modules register themselves on `bp` (imported last: they import `bp`).
from app.tickets.views import (  # noqa: E402, F401
    actions,
    create,
    edit,
    files,
    listing,
    page,
    service_levels,
)
