"""Attachments of a ticket: downloads, and thumbnails for images.

Served only to those who may see the ticket (get_ticket_or_404), internal files only to EN staff,
and always as downloads that the browser must not interpret: a file is never a page of ours.
"""

from __future__ import annotations

import io

from flask import abort, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, TicketEvent
from app.tickets.attachments import thumbnail_type
from app.tickets.permissions import sees_internal
from app.tickets.storage import StorageKeyError, get_storage
from app.tickets.views.common import bp, get_ticket_or_404

# A file opened by mistake in the browser's own origin can run nothing and load nothing.
FILE_CSP = "default-src 'none'; sandbox"


def _attachment_or_404(reference: str, attachment_id: int) -> Attachment:
    ticket = get_ticket_or_404(reference)
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.ticket_id == ticket.id)
    )
    if attachment is None:
        abort(404)
    if not sees_internal(current_user):
        internal_event = attachment.event_id is not None and db.session.scalar(
            select(TicketEvent.internal).where(TicketEvent.id == attachment.event_id)
        )
        if attachment.internal or internal_event:
            abort(404)
    return attachment


def _open(key: str | None):
    if not key:
        abort(404)
    try:
        return get_storage().open(key)
    except (FileNotFoundError, StorageKeyError):
        abort(404)


def _send(stream, mimetype: str, *, download_name: str, as_attachment: bool):
    response = send_file(
        stream,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    response.headers["Content-Type"] = mimetype
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.route("/<reference>/pieces/<int:attachment_id>")
@login_required
def attachment(reference: str, attachment_id: int):
    item = _attachment_or_404(reference, attachment_id)
    # Content-Disposition: attachment, with the name in RFC 5987 form when it has accents.
    return _send(
        _open(item.storage_key),
        item.content_type,
        download_name=item.filename,
        as_attachment=True,
    )


@bp.route("/<reference>/pieces/<int:attachment_id>/miniature")
@login_required
def thumbnail(reference: str, attachment_id: int):
    item = _attachment_or_404(reference, attachment_id)
    with _open(item.thumbnail_key) as handle:
        data = handle.read()  # a few dozen kilobytes
    mimetype = thumbnail_type(data)
    extension = ".png" if mimetype == "image/png" else ".jpg"
    return _send(
        io.BytesIO(data),
        mimetype,
        download_name=f"miniature-{item.id}{extension}",
        as_attachment=False,
    )
