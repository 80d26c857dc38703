"""The list « Demandes »: filters, sort and page in the address; htmx swaps the results only."""

from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import format_decimal
from flask_htmx import make_response
from flask_login import current_user, login_required

from app.auth.roles import EN_STAFF
from app.core.htmx import render, wants_fragment
from app.tickets import queries
from app.tickets.permissions import can_create, sees_deadlines
from app.tickets.views.common import bp


@bp.route("")
@login_required
def index():
    en_staff = current_user.role in EN_STAFF
    params = queries.parse_list_args(request.args, en_staff=en_staff)
    results = queries.list_tickets(current_user, params)
    # The address as it should read: defaults left out, the page as shown (a page past the end
    # shows the last one).
    canonical = url_for("tickets.index", **params.url_args(page=results.page))
    fragment = wants_fragment()
    body = render(
        "tickets/index.html",
        "tickets/_results.html",
        params=params,
        results=results,
        total_display=format_decimal(results.total),
        en_staff=en_staff,
        # The filters' choices are only drawn with the whole page (htmx swaps the results).
        options=None if fragment else queries.filter_options(current_user),
        can_create=can_create(current_user) and "tickets.new" in current_app.view_functions,
        sees_deadlines=sees_deadlines(current_user),
    )
    if fragment:
        return make_response(body, push_url=canonical)
    return body
