"""The workflow actions of the ticket page: one POST per action, and the visit message fragment.

Each action is a form carrying the ticket version. The view parses it, asks for a confirmation
when a visit falls on a weekend, a holiday or a Wednesday afternoon (planning.visit_warning), and
hands the values to the service, which checks and applies the action. Answers: the fresh page
parts (htmx) or a redirect with a message (plain POST); 422 with the message next to the field;
409 with the fresh state when the ticket changed in between; 403 when the action is not allowed;
404 when the ticket is not visible.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_htmx import make_response
from flask_login import current_user, login_required

from app.core.htmx import wants_fragment
from app.sla.loading import school_days
from app.tickets import planning, service
from app.tickets.action_forms import ACTION_FORMS, ActionForm, VisitForm, fill_choices
from app.tickets.errors import Forbidden, StaleTicket, TicketError, TicketNotFound
from app.tickets.events import EventKind
from app.tickets.permissions import actor_for, can_view
from app.tickets.views.common import bp, checked_uploads, get_ticket_or_404
from app.tickets.views.parts import action_options, done, respond
from app.tickets.workflow import TRANSITIONS, Action, WorkflowError, check

VISIT_ACTIONS = frozenset({Action.PLAN, Action.RESCHEDULE})


def _action_or_404(value: str) -> Action:
    try:
        action = Action(value)
    except ValueError:
        abort(404)
    if action not in ACTION_FORMS:  # the system's automatic closure has no form
        abort(404)
    return action


def _stale(ticket):
    return respond(ticket, status=409, notice=StaleTicket.message, notice_kind="error")


def _forbidden(ticket, message: str):
    return respond(ticket, status=403, notice=message, notice_kind="error")


@bp.route("/<reference>/actions/<action>", methods=["POST"])
@login_required
def act(reference: str, action: str):
    ticket = get_ticket_or_404(reference)
    action = _action_or_404(action)
    form: ActionForm = ACTION_FORMS[action](prefix=action.value)
    fill_choices(form, action_options(action, ticket))
    version = form.version.data
    if not isinstance(version, int):
        abort(400)
    # Someone acted since this form was shown: say so, with the state as it is now.
    if version != ticket.version:
        return _stale(ticket)
    try:
        check(
            action,
            ticket.status,
            actor_for(current_user, ticket),
            has_supplier=ticket.supplier_id is not None,
        )
    except WorkflowError as exc:
        return _forbidden(ticket, exc.message)

    if not form.validate():
        return respond(ticket, status=422, bound=form)
    if isinstance(form, VisitForm):
        instant = form.planned_at()
        warning = _warning(ticket, instant)
        if warning and not form.confirm_weekend.data:
            form.weekend_warning = warning
            return respond(ticket, status=422, bound=form)
    before = ticket.status
    try:
        # Photos are checked before the action: never a transition with half its files.
        photos = checked_uploads(form.photos) if hasattr(form, "photos") else []
        event = service.apply_action(
            current_user, ticket.id, action, form.values(), version=version, photos=photos
        )
    except TicketNotFound:
        abort(404)
    except StaleTicket:
        return _stale(ticket)
    except Forbidden as exc:
        return _forbidden(ticket, exc.message)
    except TicketError as exc:
        form.add_error(exc.field, exc.message)
        return respond(ticket, status=422, bound=form)
    ticket = event.ticket
    message = EventKind.of_action(action).success_message(ticket, before)
    if not can_view(current_user, ticket):
        # Sent back to the EN team: the company no longer sees the ticket; back to the list.
        flash(message, "success")
        target = url_for("tickets.index")
        if wants_fragment():
            return make_response("", redirect=target)
        return redirect(target, code=303)
    return done(ticket, message)


def _warning(ticket, instant) -> str | None:
    """The confirmation a visit's date asks (a holiday, a weekend…); none for a date the
    service refuses anyway (in the past, too far): that refusal is said first."""
    if instant is None or service.planned_visit_problem(instant):
        return None
    return planning.visit_warning(instant, *school_days(ticket.site))


@bp.route("/<reference>/actions/<action>/message")
@login_required
def visit_message(reference: str, action: str):
    """The message field of the plan / reschedule form, following the chosen date (htmx)."""
    ticket = get_ticket_or_404(reference)
    action = _action_or_404(action)
    if action not in VISIT_ACTIONS:
        abort(404)
    if actor_for(current_user, ticket) not in TRANSITIONS[action].actors:
        abort(403)
    form = ACTION_FORMS[action](request.args, prefix=action.value, meta={"csrf": False})
    form.validate()  # parses the date and time; errors are shown when the form is sent
    form.refresh_message()
    instant = form.planned_at()
    form.weekend_warning = _warning(ticket, instant)
    return render_template("tickets/_visit_message.html", form=form, ticket=ticket, live=True)
