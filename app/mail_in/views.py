"""« À trier »: the received mail Relais could not place, for the EN team."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.access import en_staff_required
from app.core.input import page_number
from app.extensions import db
from app.mail_in.ingest import Reason
from app.models import InboundMail, InboundOutcome

bp = Blueprint("mail_in", __name__)

PER_PAGE = 25

REASONS = {
    Reason.UNKNOWN_SENDER: _l("Expéditeur inconnu"),
    Reason.NOT_ALLOWED: _l("Expéditeur sans accès à cette demande"),
    Reason.NOT_RECOGNISED: _l("Demande non reconnue"),
    Reason.EMPTY: _l("Réponse vide"),
    Reason.REFUSED: _l("Refusée par la demande"),
    Reason.TOO_LARGE: _l("Message trop volumineux"),
    Reason.UNREADABLE: _l("Message illisible"),
}


@bp.route("/a-trier")
@en_staff_required
def to_sort():
    query = (
        select(InboundMail)
        .options(joinedload(InboundMail.ticket))
        .where(InboundMail.outcome == InboundOutcome.TO_SORT)
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
    )
    page = db.paginate(
        query, page=page_number(request.args.get("page")), per_page=PER_PAGE, error_out=False
    )
    rows = [(mail, REASONS.get(mail.reason, mail.reason)) for mail in page.items]
    return render_template("mail_in/to_sort.html", page=page, rows=rows)
