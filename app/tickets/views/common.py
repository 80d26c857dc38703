"""What the routes of the ticket pages share: the blueprint, the ticket as the person may see
it, and the files a form carries. Below every route module (pyproject.toml, import-linter)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Ticket
from app.tickets import attachments, display
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


def checked_uploads(field) -> list[attachments.Upload]:
    """The files a form carries, each read and checked; AttachmentError for the first refused.

    Called before anything is saved: a refused file leaves no comment and no transition behind.
    """
    files = attachments.uploads_in(field.data)
    if len(files) > attachments.MAX_FILES:
        raise attachments.AttachmentError(
            _("%(n)s fichiers au maximum par envoi.", n=attachments.MAX_FILES)
        )
    return [attachments.check_upload(f) for f in files]
