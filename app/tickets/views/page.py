"""The ticket page."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from app.tickets.views import bp, get_ticket_or_404


@bp.route("/<reference>")
@login_required
def show(reference: str):
    ticket = get_ticket_or_404(reference)
    return render_template("tickets/show.html", ticket=ticket)
