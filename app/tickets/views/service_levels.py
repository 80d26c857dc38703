"""The « Délais » part of the ticket page: the clocks, and the forms that pause them, resume them
or put a question to the school.

Each form is a plain POST answered by a redirect (without JavaScript) or, for htmx, by the part
itself with the page's other parts swapped out of band; 422 with the message next to the field;
403 for someone who may not pause this ticket (a teacher), 404 for a ticket they do not see.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.htmx import wants_fragment
from app.models import Ticket
from app.sla import pauses
from app.sla.display import ClockPanel, clock_panel
from app.sla.pause_forms import AskSchoolForm, ClockForm, PauseForm, ResumeForm, blank_forms
from app.tickets import service
from app.tickets.errors import Forbidden, StaleTicket, TicketError, TicketNotFound
from app.tickets.views.common import bp, get_ticket_or_404
from app.tickets.views.parts import page_context, render_page

PART = "clocks"


@bp.app_template_global("clock_panel")
def panel_for(ticket: Ticket, bound: ClockForm | None = None, open_form: str | None = None):
    """The part's contents for the current user (templates/tickets/_clocks.html)."""
    panel: ClockPanel = clock_panel(ticket, current_user._get_current_object())
    panel.forms = blank_forms()
    if bound is not None and open_form:
        panel.forms[open_form] = bound
    panel.open_form = open_form
    return panel


def _respond(ticket: Ticket, *, status: int = 200, notice=None, notice_kind="success", **form):
    values = page_context(ticket, notice=notice, notice_kind=notice_kind)
    values["clocks_panel"] = panel_for(values["ticket"], **form)
    return render_page(values, main=PART, status=status)


def _done(ticket: Ticket, message: str):
    if wants_fragment():
        return _respond(ticket, notice=message)
    flash(message, "success")
    return redirect(
        url_for("tickets.show", reference=ticket.reference, _anchor="ticket-clocks"), code=303
    )


def _allowed_or_403(ticket: Ticket):
    if not pauses.may_pause(current_user, ticket):
        return _respond(ticket, status=403, notice=pauses.NOT_ALLOWED, notice_kind="error")
    return None


def _apply(ticket: Ticket, form: ClockForm, name: str, change, message: str):
    try:
        ticket = change().ticket
    except TicketNotFound:
        abort(404)
    except StaleTicket:
        return _respond(ticket, status=409, notice=StaleTicket.message, notice_kind="error")
    except Forbidden as exc:
        return _respond(ticket, status=403, notice=exc.message, notice_kind="error")
    except TicketError as exc:
        if exc.field is None:  # about the ticket, not a field: said at the top of the part
            return _respond(ticket, status=422, notice=exc.message, notice_kind="error")
        form.add_error(exc.field, exc.message)
        return _respond(ticket, status=422, bound=form, open_form=name)
    return _done(ticket, message)


def _clock_route(reference: str, form_class, name: str, change, message: str):
    """Load, check, validate, apply: the same steps for each of the three forms."""
    ticket = get_ticket_or_404(reference)
    refused = _allowed_or_403(ticket)
    if refused:
        return refused
    form = form_class(prefix=name)
    if not form.validate():
        return _respond(ticket, status=422, bound=form, open_form=name)
    return _apply(ticket, form, name, lambda: change(ticket, form), message)


@bp.route("/<reference>/delais/pause", methods=["POST"])
@login_required
def pause_clocks(reference: str):
    return _clock_route(
        reference,
        PauseForm,
        "pause",
        lambda ticket, form: service.pause_clocks(
            current_user, ticket.id, form.kind.data or "", form.reason.data or ""
        ),
        _("Les délais sont suspendus."),
    )


@bp.route("/<reference>/delais/reprise", methods=["POST"])
@login_required
def resume_clocks(reference: str):
    return _clock_route(
        reference,
        ResumeForm,
        "resume",
        lambda ticket, form: service.resume_clocks(current_user, ticket.id),
        _("Les délais reprennent."),
    )


@bp.route("/<reference>/delais/question", methods=["POST"])
@login_required
def ask_school(reference: str):
    return _clock_route(
        reference,
        AskSchoolForm,
        "ask",
        lambda ticket, form: service.ask_school(current_user, ticket.id, form.question.data or ""),
        _("La question est envoyée à l’école ; les délais attendent sa réponse."),
    )
