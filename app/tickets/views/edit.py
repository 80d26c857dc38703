"""« Modifier »: the EN team corrects a ticket's frame (summary, description, request type,
site, contact, device).

GET shows the form filled with the ticket (a whole page, or the fragment htmx swaps into the
ticket page); POST checks it and hands it to the service. Answers: a redirect (303) or the fresh
ticket page parts (htmx) with the success message; 422 with the form as typed and the message
next to the field; 409 with the form as typed and the ticket as it is now when someone changed
it in between; 403 for someone who may not edit; 404 when the ticket is not visible.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.htmx import wants_fragment
from app.core.input import parse_id
from app.tickets import creation, service
from app.tickets.errors import Forbidden, StaleTicket, TicketError, TicketNotFound
from app.tickets.events import EventKind
from app.tickets.forms import EditTicketForm
from app.tickets.permissions import can_edit
from app.tickets.views.common import bp, get_ticket_or_404
from app.tickets.views.parts import done


# The service's field names → the form's.
def _request_types(ticket) -> list:
    """The types the ticket may take: those of its category (its reference is numbered there),
    and its own even when it was retired since."""
    groups = []
    for group, types in creation.request_type_groups():
        kept = [t for t in types if t.category_id == ticket.category_id]
        if kept:
            groups.append((group, kept))
    if not any(t.id == ticket.request_type_id for _group, types in groups for t in types):
        groups.append((str(ticket.category.label), [ticket.request_type]))
    return groups


def _render(ticket, form: EditTicketForm, status: int = 200, **context):
    template = "tickets/_edit_form.html" if wants_fragment() else "tickets/edit.html"
    return render_template(template, ticket=ticket, form=form, **context), status


@bp.route("/<reference>/modifier", methods=["GET", "POST"])
@login_required
def edit(reference: str):
    ticket = get_ticket_or_404(reference)
    if not can_edit(current_user, ticket):
        abort(403)
    types = _request_types(ticket)
    if request.method == "GET":
        return _render(ticket, EditTicketForm.of(ticket, types))

    form = EditTicketForm(request_types=types)
    form.device_optional = creation.handled_by_en(form.request_type.data)
    valid = form.validate()
    found = creation.resolve_site(form.site.data, request.form.get("site_pick", type=parse_id))
    if not form.site.errors and found.site is None:
        form.site.errors = [*form.site.errors, found.error]
        valid = False
    elif found.site is not None:
        form.site.data = found.site.label
    context = {"candidates": found.candidates, "more_candidates": found.more}
    version = form.version.data
    if not isinstance(version, int):
        abort(400)
    # Someone changed the ticket since the form was shown: the form comes back as typed, with
    # the ticket as it is now, to decide again.
    if version != ticket.version:
        return _stale(ticket, form, context)
    if not valid:
        return _render(ticket, form, 422, **context)
    values = service.TicketEdit(
        request_type_id=form.request_type.data,
        summary=form.summary.data or "",
        description=form.description.data or "",
        site_id=found.site.id,
        contact_name=form.contact_name.data or "",
        contact_phone=form.phone_e164,
        contact_email=form.contact_email.data or "",
        equipment_label=form.equipment_label.data or "",
        equipment_serial=form.equipment_serial.data or "",
        equipment_description=form.equipment_description.data or "",
    )
    try:
        event = service.edit_ticket(current_user, ticket.id, values, version=version)
    except TicketNotFound:
        abort(404)
    except StaleTicket:
        return _stale(ticket, form, context)
    except Forbidden:
        abort(403)
    except service.NothingChanged as exc:
        return done(ticket, _(exc.message), main="details")
    except TicketError as exc:
        form.add_error(exc.field, exc.message)
        return _render(ticket, form, 422, **context)
    return done(event.ticket, EventKind.EDIT.description.success(event.ticket), main="details")


def _stale(ticket, form: EditTicketForm, context: dict):
    ticket = get_ticket_or_404(ticket.reference)
    # The form now carries the version shown: sent again, it replaces what is there.
    form.version.data, form.version.raw_data = ticket.version, [str(ticket.version)]
    form.form_errors.append(_(StaleTicket.message))
    return _render(ticket, form, 409, stale=True, **context)
