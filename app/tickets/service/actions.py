"""The workflow actions: check, apply the action's effect, move the state, one event.

Each effect (`EFFECTS`) changes the ticket's rows for one action and returns its event; the
state moves by the workflow table (app.tickets.workflow); the clocks follow the event's kind
(app.tickets.events, `clocks`), the notices its audience — both through app.tickets.signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import Intervention, Role, Supplier, Ticket, TicketEvent, User
from app.models.types import utcnow
from app.notify import languages
from app.tickets import attachments, planning
from app.tickets.errors import Forbidden, StaleTicket, TicketError
from app.tickets.events import EventKind
from app.tickets.permissions import actor_for
from app.tickets.service.common import (
    ensure_participant,
    record,
    required,
    staff_member,
    store_files,
    ticket_change,
    visible_locked,
    when,
)
from app.tickets.workflow import Action, Actor, WorkflowError, check, target_status


@dataclass
class ActionInput:
    """Values an action may need (see workflow.Transition.requires)."""

    planned_at: datetime | None = None
    visited_at: datetime | None = None
    message: str = ""
    summary: str = ""
    reason: str = ""
    supplier_id: int | None = None
    technician_id: int | None = None
    assignee_id: int | None = None
    first_contact: bool = False  # RESOLVE: solved at the first contact
    extra: dict = field(default_factory=dict)


def apply_action(
    actor: User,
    ticket_id: int,
    action: Action | str,
    values: ActionInput | None = None,
    *,
    version: int | None = None,
    now: datetime | None = None,
    photos: Sequence[attachments.Upload] = (),
) -> TicketEvent:
    """Apply one workflow action; exactly one of several concurrent attempts succeeds. Returns
    its event (`event.ticket` is the ticket).

    `version` is the ticket version the person saw: a different current version means someone
    acted in between, and the person gets StaleTicket rather than a second transition. `photos`
    (already checked) are stored with the event, in the same change: a storage failure leaves
    no transition behind.
    """
    action = Action(action)
    values = values or ActionInput()
    now = now or utcnow()
    with ticket_change() as outbox:
        ticket = visible_locked(actor, ticket_id)
        if version is not None and ticket.version != version:
            raise StaleTicket()
        event = perform(ticket, action, actor, actor_for(actor, ticket), values, now)
        store_files(ticket, actor, event, photos, field="photos")
        outbox.applied(ticket, event)
        outbox.announce(ticket, event, actor)
    return event


def perform(ticket, action: Action, user, who: Actor, values: ActionInput, now) -> TicketEvent:
    """Check the workflow for `who`, apply the action's effect, move the state: one event."""
    try:
        transition = check(action, ticket.status, who, has_supplier=ticket.supplier_id is not None)
    except WorkflowError as exc:
        raise Forbidden(exc.message) from exc
    before = ticket.status
    event = EFFECTS[action](ticket, user, values, now)
    after = target_status(transition, before)
    if after != before:
        ticket.status = after
        ticket.status_changed_at = now
        ticket.closed_at = now if after.is_final else None
        event.from_status, event.to_status = before, after
    ticket.updated_at = now
    return event


def visit_horizon_days() -> int:
    """RELAIS_VISIT_HORIZON_DAYS: how many days ahead a visit may be planned, and back a visit
    made on the spot may be recorded."""
    return int(current_app.config.get("RELAIS_VISIT_HORIZON_DAYS", planning.DEFAULT_HORIZON_DAYS))


def _within_horizon(instant: datetime, now: datetime, field_name: str, *, done: bool) -> None:
    problem = planning.horizon_problem(
        planning.to_local(instant).date(),
        planning.to_local(now).date(),
        visit_horizon_days(),
        done=done,
    )
    if problem:
        raise TicketError(problem, field=field_name)


def planned_visit_problem(instant: datetime, now: datetime | None = None) -> str | None:
    """Why a visit cannot be planned at `instant` (past, beyond the horizon), or None.

    The view asks it before asking to confirm a holiday or a weekend: a date that will be
    refused is refused first, not confirmed then refused."""
    now = now or utcnow()
    if planning.is_past(instant, now):
        return planning.PAST_PLAN
    return planning.horizon_problem(
        planning.to_local(instant).date(),
        planning.to_local(now).date(),
        visit_horizon_days(),
        done=False,
    )


def _future(instant: datetime | None, now: datetime, field_name: str) -> datetime:
    if instant is None:
        raise TicketError(_("Indiquez la date et l’heure de l’intervention."), field=field_name)
    problem = planned_visit_problem(instant, now)
    if problem:
        raise TicketError(problem, field=field_name)
    return instant


def _visit_message(ticket: Ticket, typed: str, planned_at: datetime) -> str:
    """The text that announces the visit: the person's, with the date and time put wherever the
    placeholders remain, or the default sentence when they wrote nothing; dates and sentence in
    the language of the school it is written for."""
    language = languages.of_contact(ticket)
    typed = planning.fill_placeholders(typed.strip(), planned_at, language)
    return typed or planning.planned_message(planned_at, language)


def _visit(ticket: Ticket, actor: User, planned_at: datetime, now: datetime, **values):
    intervention = Intervention(
        ticket=ticket,
        supplier_id=ticket.supplier_id,
        round=ticket.round,
        planned_at=planned_at,
        created_by=actor,
        created_at=now,
        **values,
    )
    db.session.add(intervention)
    return intervention


def _plan(ticket, actor, values, now):
    planned_at = _future(values.planned_at, now, "planned_at")
    message = _visit_message(ticket, values.message, planned_at)
    _visit(ticket, actor, planned_at, now, message=message)
    return record(ticket, actor, EventKind.PLAN, body=message, now=now, data=when(planned_at))


def _reschedule(ticket, actor, values, now):
    planned_at = _future(values.planned_at, now, "planned_at")
    intervention = ticket.current_visit
    if intervention is None:
        raise TicketError(_("Aucune intervention n’est planifiée."))
    previous = intervention.planned_at
    intervention.planned_at = planned_at
    intervention.sequence += 1
    intervention.message = _visit_message(ticket, values.message, planned_at)
    data = {**when(planned_at), "previous": previous.isoformat()}
    return record(
        ticket, actor, EventKind.RESCHEDULE, body=intervention.message, now=now, data=data
    )


def _finish(ticket, actor, values, now):
    summary = required(values.summary, "summary", _("Résumez ce qui a été fait."))
    # Planned by nobody: the visit is recorded now.
    intervention = ticket.current_visit or _visit(ticket, actor, now, now)
    intervention.finished_at = now
    intervention.summary = summary
    return record(ticket, actor, EventKind.FINISH, body=summary, now=now)


def _finish_on_spot(ticket, actor, values, now):
    summary = required(values.summary, "summary", _("Résumez ce qui a été fait."))
    visited_at = values.visited_at
    if visited_at is None:
        raise TicketError(_("Indiquez quand la visite a eu lieu."), field="visited_at")
    if visited_at > now:
        raise TicketError(planning.FUTURE_VISIT, field="visited_at")
    _within_horizon(visited_at, now, "visited_at", done=True)
    _visit(
        ticket,
        actor,
        visited_at,
        now,
        finished_at=visited_at,
        summary=summary,
        on_the_spot=True,
        message="",
    )
    return record(
        ticket, actor, EventKind.FINISH_ON_SPOT, body=summary, now=now, data=when(visited_at)
    )


def _resolve(ticket, actor, values, now):
    summary = required(values.summary, "summary", "Indiquez ce qui a été répondu ou fait.")
    ticket.resolved_first_contact = bool(values.first_contact)
    data = {"first_contact": ticket.resolved_first_contact}
    return record(ticket, actor, EventKind.RESOLVE, body=summary, now=now, data=data)


def _approve(ticket, actor, values, now):
    return record(ticket, actor, EventKind.APPROVE, body=values.message.strip(), now=now)


def _reopen(ticket, actor, values, now):
    reason = required(values.reason, "reason", _("Expliquez pourquoi le problème persiste."))
    # The procedure starts over: plan, intervene, finish, approve (docs/domain.md, « Actions »).
    ticket.round += 1
    ticket.resolved_first_contact = False  # the first answer did not solve it
    return record(ticket, actor, EventKind.REOPEN, body=reason, now=now)


def cancel_visit(ticket: Ticket, now: datetime) -> Intervention | None:
    """The current visit called off (its calendar event is withdrawn by the notices)."""
    intervention = ticket.current_visit
    if intervention is not None:
        intervention.cancelled_at = now
        intervention.sequence += 1
    return intervention


def _hand_over(ticket: Ticket, supplier: Supplier | None, now: datetime) -> dict:
    """The ticket leaves its company (for `supplier`, or back to the EN team): the visit is
    called off and the technician forgotten. The event's data says what changed."""
    previous = ticket.supplier
    cancelled = cancel_visit(ticket, now)
    ticket.supplier = supplier
    ticket.technician = None
    ticket.supplier_assigned_at = now if supplier is not None else None
    return {
        "previous_supplier_id": previous.id if previous else None,
        "visit_cancelled": cancelled is not None,
    }


def _send_back(ticket, actor, values, now):
    reason = required(
        values.reason, "reason", _("Expliquez pourquoi la demande revient à l’équipe EN.")
    )
    data = _hand_over(ticket, None, now)
    return record(ticket, actor, EventKind.SEND_BACK, body=reason, now=now, data=data)


def _reassign_supplier(ticket, actor, values, now):
    supplier = db.session.get(Supplier, values.supplier_id) if values.supplier_id else None
    if supplier is None or not supplier.active:
        raise TicketError(_("Choisissez un fournisseur actif."), field="supplier_id")
    if supplier.id == ticket.supplier_id:
        raise TicketError(_("La demande est déjà attribuée à ce fournisseur."), field="supplier_id")
    data = {**_hand_over(ticket, supplier, now), "supplier_id": supplier.id}
    body = values.reason.strip()
    return record(ticket, actor, EventKind.REASSIGN_SUPPLIER, body=body, now=now, data=data)


def _cancel(ticket, actor, values, now):
    reason = required(values.reason, "reason", _("Indiquez pourquoi la demande est annulée."))
    cancelled = cancel_visit(ticket, now)
    data = {"visit_cancelled": cancelled is not None}
    return record(ticket, actor, EventKind.CANCEL, body=reason, now=now, data=data)


def _assign_technician(ticket, actor, values, now):
    technician = db.session.get(User, values.technician_id) if values.technician_id else None
    if (
        technician is None
        or not technician.active
        or technician.role != Role.SUPPLIER
        or technician.supplier_id != ticket.supplier_id
    ):
        raise TicketError(_("Choisissez un technicien de votre société."), field="technician_id")
    ticket.technician = technician
    ensure_participant(ticket, technician, actor, now)
    data = {"technician_id": technician.id}
    return record(
        ticket, actor, EventKind.ASSIGN_TECHNICIAN, body=technician.full_name, now=now, data=data
    )


def _change_assignee(ticket, actor, values, now):
    assignee = staff_member(values.assignee_id)
    previous = ticket.assignee
    ticket.assignee = assignee
    ensure_participant(ticket, assignee, actor, now)
    data = {"assignee_id": assignee.id, "previous_assignee_id": previous.id if previous else None}
    return record(
        ticket, actor, EventKind.CHANGE_ASSIGNEE, body=assignee.full_name, now=now, data=data
    )


EFFECTS = {
    Action.PLAN: _plan,
    Action.RESCHEDULE: _reschedule,
    Action.FINISH: _finish,
    Action.FINISH_ON_SPOT: _finish_on_spot,
    Action.RESOLVE: _resolve,
    Action.APPROVE: _approve,
    Action.REOPEN: _reopen,
    Action.SEND_BACK: _send_back,
    Action.REASSIGN_SUPPLIER: _reassign_supplier,
    Action.CANCEL: _cancel,
    Action.ASSIGN_TECHNICIAN: _assign_technician,
    Action.CHANGE_ASSIGNEE: _change_assignee,
}
