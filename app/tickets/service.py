"""The ticket service: every change to a ticket goes through here.

Each function takes the acting user and plain values (never the request), checks the permission
and the workflow, locks the ticket row (PostgreSQL) and compares its version (everywhere),
records the activity, writes the messages to send in the same transaction, commits once, and
hands the messages to the queue after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.auth.roles import EN_STAFF
from app.extensions import db
from app.models import (
    Equipment,
    Intervention,
    Participant,
    RequestType,
    Role,
    Site,
    Supplier,
    Ticket,
    TicketEvent,
    User,
    normalise_email,
)
from app.models.types import utcnow
from app.sla import clocks as sla_clocks
from app.sla import pauses as sla_pauses
from app.tickets import activity, creation, planning
from app.tickets.errors import Forbidden, StaleTicket, TicketError, TicketNotFound
from app.tickets.events import EventKind
from app.tickets.numbering import next_number, reference
from app.tickets.permissions import CREATORS, actor_for, can_share_with, can_view
from app.tickets.workflow import Action, Actor, Status, WorkflowError, check, target_status

# ------------------------------------------------------------------------------ creation


@dataclass
class NewTicket:
    """What an assistant gives to open a ticket (already shaped by the form)."""

    request_type_id: int
    summary: str
    description: str
    site_id: int
    contact_name: str
    contact_phone: str = ""
    contact_email: str = ""
    equipment_id: int | None = None
    equipment_label: str = ""
    equipment_serial: str = ""
    equipment_description: str = ""
    supplier_id: int | None = None
    assignee_id: int | None = None


def create_ticket(actor: User, data: NewTicket, *, now: datetime | None = None) -> Ticket:
    if actor.role not in CREATORS:
        raise Forbidden("Seule l’équipe EN ouvre des demandes.")
    creation.check_new_ticket(data)
    now = now or utcnow()
    request_type = db.session.get(RequestType, data.request_type_id)
    if request_type is None or not request_type.active:
        raise TicketError("Choisissez un type de demande.", field="request_type_id")
    site = db.session.get(Site, data.site_id)
    if site is None:
        raise TicketError("Choisissez l’implantation scolaire.", field="site_id")
    equipment = db.session.get(Equipment, data.equipment_id) if data.equipment_id else None
    supplier = db.session.get(Supplier, data.supplier_id) if data.supplier_id else None
    if data.supplier_id and (supplier is None or not supplier.active):
        raise TicketError("Ce fournisseur n’existe pas ou n’est plus actif.", field="supplier_id")
    assignee = _staff_member(data.assignee_id) if data.assignee_id else actor

    contact_email = normalise_email(data.contact_email)
    contact_user = None
    if contact_email:
        contact_user = db.session.scalar(
            select(User).where(User.email == contact_email, User.role == Role.TEACHER)
        )
    number = next_number(request_type.category_id)
    ticket = Ticket(
        category_id=request_type.category_id,
        number=number,
        reference=reference(request_type.category.key, number),
        request_type=request_type,
        status=Status.OPEN,
        summary=data.summary.strip(),
        description=data.description.strip(),
        site=site,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone,
        contact_email=contact_email,
        contact_user=contact_user,
        equipment=equipment,
        # As entered, or as the inventory knows it when the device was found there.
        equipment_label=_identifier(equipment.label if equipment else None, data.equipment_label),
        equipment_serial=_identifier(
            equipment.serial if equipment else None, data.equipment_serial
        ),
        equipment_description=data.equipment_description.strip()
        or (f"{equipment.lot} - {equipment.model}" if equipment else ""),
        supplier=supplier,
        supplier_assigned_at=now if supplier else None,
        assignee=assignee,
        creator=actor,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    db.session.add(ticket)
    # "Partagé avec": the creator and the contact teacher, as the current portal shows them.
    for user in {actor, assignee, contact_user} - {None}:
        ticket.participants.append(Participant(user=user, added_by=actor, added_at=now))
    with activity.change() as outbox:
        db.session.flush()
        event = _event(ticket, actor, EventKind.CREATED, to_status=Status.OPEN, now=now)
        sla_clocks.on_created(ticket, now)
        outbox.announce(ticket, event, actor)
    return ticket


# ------------------------------------------------------------------------------ actions


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
    extra: dict = field(default_factory=dict)


def load_for_update(ticket_id: int) -> Ticket:
    ticket = db.session.execute(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update()
    ).scalar_one_or_none()
    if ticket is None:
        raise TicketNotFound()
    return ticket


def apply_action(
    actor: User,
    ticket_id: int,
    action: Action | str,
    values: ActionInput | None = None,
    *,
    version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Apply one workflow action; exactly one of several concurrent attempts succeeds.

    `version` is the ticket version the person saw: a different current version means someone
    acted in between, and the person gets StaleTicket rather than a second transition.
    """
    action = Action(action)
    values = values or ActionInput()
    now = now or utcnow()
    try:
        with activity.change() as outbox:
            ticket = load_for_update(ticket_id)
            if not can_view(actor, ticket):
                raise TicketNotFound()
            if version is not None and ticket.version != version:
                raise StaleTicket()
            event = _perform(ticket, action, actor, actor_for(actor, ticket), values, now)
            sla_clocks.after_action(ticket, action, event, now)
            outbox.announce(ticket, event, actor)
    except StaleDataError as exc:
        # Another transaction changed the row between our read and our write (SQLite has no
        # row lock; the version column catches it).
        raise StaleTicket() from exc
    return ticket


def _perform(ticket, action: Action, user, who: Actor, values: ActionInput, now) -> TicketEvent:
    """Check the workflow for `who`, apply the action's effect, move the state: one event."""
    try:
        transition = check(
            action, ticket.status_enum, who, has_supplier=ticket.supplier_id is not None
        )
    except WorkflowError as exc:
        raise Forbidden(exc.message) from exc
    before = ticket.status_enum
    event = _EFFECTS[action](ticket, user, values, now)
    after = target_status(transition, before)
    if after != before:
        ticket.status = after
        ticket.status_changed_at = now
        ticket.closed_at = now if after.is_final else None
        event.from_status, event.to_status = before, after
    ticket.updated_at = now
    return event


def _required(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TicketError(message, field=field_name)
    return value


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


def _future(instant: datetime | None, now: datetime, field_name: str) -> datetime:
    if instant is None:
        raise TicketError("Indiquez la date et l’heure de l’intervention.", field=field_name)
    if planning.is_past(instant, now):
        raise TicketError(planning.PAST_PLAN, field=field_name)
    _within_horizon(instant, now, field_name, done=False)
    return instant


def _visit_message(typed: str, planned_at: datetime) -> str:
    """The text that announces the visit: the person's, with the date and time put wherever the
    placeholders remain, or the seed's sentence when they wrote nothing."""
    typed = planning.fill_placeholders(typed.strip(), planned_at)
    return typed or planning.planned_message(planned_at)


def _current_intervention(ticket: Ticket) -> Intervention | None:
    for intervention in reversed(ticket.interventions):
        if (
            intervention.round == ticket.round
            and intervention.finished_at is None
            and intervention.cancelled_at is None
        ):
            return intervention
    return None


def _plan(ticket, actor, values, now):
    planned_at = _future(values.planned_at, now, "planned_at")
    message = _visit_message(values.message, planned_at)
    intervention = Intervention(
        ticket=ticket,
        supplier_id=ticket.supplier_id,
        round=ticket.round,
        planned_at=planned_at,
        message=message,
        created_by=actor,
        created_at=now,
    )
    db.session.add(intervention)
    return _event(ticket, actor, EventKind.PLAN, body=message, now=now, data=_when(planned_at))


def _reschedule(ticket, actor, values, now):
    planned_at = _future(values.planned_at, now, "planned_at")
    intervention = _current_intervention(ticket)
    if intervention is None:
        raise TicketError("Aucune intervention n’est planifiée.")
    previous = intervention.planned_at
    intervention.planned_at = planned_at
    intervention.sequence += 1
    intervention.message = _visit_message(values.message, planned_at)
    data = {**_when(planned_at), "previous": previous.isoformat()}
    return _event(
        ticket, actor, EventKind.RESCHEDULE, body=intervention.message, now=now, data=data
    )


def _finish(ticket, actor, values, now):
    summary = _required(values.summary, "summary", "Résumez ce qui a été fait.")
    intervention = _current_intervention(ticket)
    if intervention is None:  # planned by nobody: record the visit now
        intervention = Intervention(
            ticket=ticket,
            supplier_id=ticket.supplier_id,
            round=ticket.round,
            planned_at=now,
            created_by=actor,
            created_at=now,
        )
        db.session.add(intervention)
    intervention.finished_at = now
    intervention.summary = summary
    return _event(ticket, actor, EventKind.FINISH, body=summary, now=now)


def _finish_on_spot(ticket, actor, values, now):
    summary = _required(values.summary, "summary", "Résumez ce qui a été fait.")
    visited_at = values.visited_at
    if visited_at is None:
        raise TicketError("Indiquez quand la visite a eu lieu.", field="visited_at")
    if visited_at > now:
        raise TicketError(planning.FUTURE_VISIT, field="visited_at")
    _within_horizon(visited_at, now, "visited_at", done=True)
    db.session.add(
        Intervention(
            ticket=ticket,
            supplier_id=ticket.supplier_id,
            round=ticket.round,
            planned_at=visited_at,
            finished_at=visited_at,
            summary=summary,
            on_the_spot=True,
            message="",
            created_by=actor,
            created_at=now,
        )
    )
    return _event(
        ticket, actor, EventKind.FINISH_ON_SPOT, body=summary, now=now, data=_when(visited_at)
    )


def _approve(ticket, actor, values, now):
    return _event(ticket, actor, EventKind.APPROVE, body=values.message.strip(), now=now)


def _reopen(ticket, actor, values, now):
    reason = _required(values.reason, "reason", "Expliquez pourquoi le problème persiste.")
    # The procedure starts over: plan, intervene, finish, approve (docs/domain.md, « Actions »).
    ticket.round += 1
    return _event(ticket, actor, EventKind.REOPEN, body=reason, now=now)


def auto_close(
    ticket_id: int, *, now: datetime | None = None, expected_round: int | None = None
) -> Ticket | None:
    """The system's closure after the school's silence (scheduled, see app.tickets.autoclose).

    Idempotent: a ticket already closed, reopened meanwhile (or, with `expected_round`, finished
    again in a later round) is left alone and None returned. The teacher, the supplier's
    reference address and the assistant in charge are told.
    """
    now = now or utcnow()
    try:
        with activity.change() as outbox:
            ticket = db.session.execute(
                select(Ticket).where(Ticket.id == ticket_id).with_for_update()
            ).scalar_one_or_none()
            if (
                ticket is None
                or ticket.status_enum != Status.DONE
                or (expected_round is not None and ticket.round != expected_round)
            ):
                return None
            check(Action.AUTO_CLOSE, ticket.status_enum, Actor.SYSTEM, has_supplier=True)
            event = _system_close(
                ticket,
                Action.AUTO_CLOSE,
                EventKind.AUTO_CLOSE,
                "Clôturé automatiquement",
                {"round": ticket.round},
                now,
            )
            outbox.announce(ticket, event, None)
    except StaleDataError:
        # Someone answered between our read and our write: their answer stands.
        return None
    return ticket


def _system_close(ticket, action: Action, kind: str, body: str, data: dict, now) -> TicketEvent:
    """A closure by the system (no answer from the school): the event, the state, the clocks."""
    event = _event(ticket, None, kind, body=body, now=now, data=data)
    event.from_status, event.to_status = ticket.status, Status.CLOSED
    ticket.status = Status.CLOSED
    ticket.status_changed_at = ticket.closed_at = ticket.updated_at = now
    sla_clocks.after_action(ticket, action, event, now)
    return event


def _cancel_visit(ticket: Ticket, now: datetime) -> Intervention | None:
    intervention = _current_intervention(ticket)
    if intervention is not None:
        intervention.cancelled_at = now
        intervention.sequence += 1
    return intervention


def _send_back(ticket, actor, values, now):
    reason = _required(
        values.reason, "reason", "Expliquez pourquoi la demande revient à l’équipe EN."
    )
    previous = ticket.supplier
    cancelled = _cancel_visit(ticket, now)
    ticket.supplier = None
    ticket.technician = None
    ticket.supplier_assigned_at = None
    data = {
        "previous_supplier_id": previous.id if previous else None,
        "visit_cancelled": cancelled is not None,
    }
    return _event(ticket, actor, EventKind.SEND_BACK, body=reason, now=now, data=data)


def _reassign_supplier(ticket, actor, values, now):
    supplier = db.session.get(Supplier, values.supplier_id) if values.supplier_id else None
    if supplier is None or not supplier.active:
        raise TicketError("Choisissez un fournisseur actif.", field="supplier_id")
    if supplier.id == ticket.supplier_id:
        raise TicketError("La demande est déjà attribuée à ce fournisseur.", field="supplier_id")
    previous = ticket.supplier
    cancelled = _cancel_visit(ticket, now)
    ticket.supplier = supplier
    ticket.technician = None
    ticket.supplier_assigned_at = now
    data = {
        "previous_supplier_id": previous.id if previous else None,
        "supplier_id": supplier.id,
        "visit_cancelled": cancelled is not None,
    }
    body = values.reason.strip()
    return _event(ticket, actor, EventKind.REASSIGN_SUPPLIER, body=body, now=now, data=data)


def _cancel(ticket, actor, values, now):
    reason = _required(values.reason, "reason", "Indiquez pourquoi la demande est annulée.")
    cancelled = _cancel_visit(ticket, now)
    data = {"visit_cancelled": cancelled is not None}
    return _event(ticket, actor, EventKind.CANCEL, body=reason, now=now, data=data)


def _assign_technician(ticket, actor, values, now):
    technician = db.session.get(User, values.technician_id) if values.technician_id else None
    if (
        technician is None
        or not technician.active
        or technician.role != Role.SUPPLIER
        or technician.supplier_id != ticket.supplier_id
    ):
        raise TicketError("Choisissez un technicien de votre société.", field="technician_id")
    ticket.technician = technician
    _ensure_participant(ticket, technician, actor, now)
    data = {"technician_id": technician.id}
    return _event(
        ticket, actor, EventKind.ASSIGN_TECHNICIAN, body=technician.full_name, now=now, data=data
    )


def _change_assignee(ticket, actor, values, now):
    assignee = _staff_member(values.assignee_id)
    previous = ticket.assignee
    ticket.assignee = assignee
    _ensure_participant(ticket, assignee, actor, now)
    data = {"assignee_id": assignee.id, "previous_assignee_id": previous.id if previous else None}
    return _event(
        ticket, actor, EventKind.CHANGE_ASSIGNEE, body=assignee.full_name, now=now, data=data
    )


_EFFECTS = {
    Action.PLAN: _plan,
    Action.RESCHEDULE: _reschedule,
    Action.FINISH: _finish,
    Action.FINISH_ON_SPOT: _finish_on_spot,
    Action.APPROVE: _approve,
    Action.REOPEN: _reopen,
    Action.SEND_BACK: _send_back,
    Action.REASSIGN_SUPPLIER: _reassign_supplier,
    Action.CANCEL: _cancel,
    Action.ASSIGN_TECHNICIAN: _assign_technician,
    Action.CHANGE_ASSIGNEE: _change_assignee,
}


# ------------------------------------------------------------------------------ activity


def add_comment(
    actor: User, ticket_id: int, body: str, *, internal: bool = False, now: datetime | None = None
) -> TicketEvent:
    now = now or utcnow()
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not can_view(actor, ticket):
        raise TicketNotFound()
    body = _required(body, "body", "Écrivez votre commentaire.")
    if internal and actor.role not in EN_STAFF:
        raise Forbidden("Seule l’équipe EN écrit des commentaires internes.")
    event = _event(ticket, actor, EventKind.COMMENT, body=body, now=now, internal=internal)
    # The school's answer to a question resumes the clocks (app.sla.pauses).
    resumed = None if internal else sla_pauses.on_comment(actor, ticket, now)
    ticket.updated_at = now
    with activity.change() as outbox:
        outbox.announce(ticket, event, actor)
        if resumed is not None:
            outbox.announce(ticket, resumed, actor)
    return event


def set_notifications(actor: User, ticket_id: int, on: bool, *, now=None) -> Participant:
    """Switch this ticket's mails on or off for `actor` (its « Notifications » switch)."""
    now = now or utcnow()
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not can_view(actor, ticket):
        raise TicketNotFound()
    participant = _ensure_participant(ticket, actor, actor, now)
    participant.notify = on
    db.session.commit()
    return participant


def share(actor: User, ticket_id: int, user: User, *, now=None) -> Participant:
    """Add someone to "Partagé avec", within the sharing rules of the actor's role."""
    now = now or utcnow()
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not can_view(actor, ticket):
        raise TicketNotFound()
    if not can_share_with(actor, ticket, user):
        raise TicketError(
            "Vous ne pouvez pas partager cette demande avec cette personne.", field="email"
        )
    participant = _ensure_participant(ticket, user, actor, now)
    _event(ticket, actor, EventKind.SHARE, body=user.full_name, now=now, data={"user_id": user.id})
    db.session.commit()
    return participant


# ------------------------------------------------------------------------------ helpers


def _identifier(known: str | None, entered: str) -> str:
    return (known or entered or "").strip().upper()


def _staff_member(user_id: int | None) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active or user.role not in CREATORS:
        raise TicketError("Choisissez un·e assistant·e EN actif·ve.", field="assignee_id")
    return user


def _ensure_participant(ticket: Ticket, user: User, added_by: User | None, now) -> Participant:
    for participant in ticket.participants:
        if participant.user_id == user.id:
            return participant
    participant = Participant(user=user, added_by=added_by, added_at=now)
    ticket.participants.append(participant)
    return participant


_event = activity.record


def _when(instant: datetime) -> dict:
    return {"at": instant.isoformat()}


# ----------------------------------------------------------------- answers from the mailbox


class AnswerRefused(TicketError):
    """An answer link that may not act (app.mail_actions.answers.Problem says why)."""

    def __init__(self, problem):
        self.problem = problem
        super().__init__("Ce lien ne peut plus être utilisé.")


def answer_from_mail(
    claims, *, reason: str = "", now: datetime | None = None
) -> tuple[Ticket, TicketEvent]:
    """Apply the *Approuver* / *Rouvrir* of a mail's signed link, as the ticket's contact.

    The link is checked again under the row lock (used, new round, state moved on…), so that of
    two presses, or a press and the automatic closure, exactly one acts. With an account, the
    contact acts as themself; without one, as the workflow's teacher with no user, their name and
    address kept in the event. The event records that it came by mail and which link made it.
    """
    from app.mail_actions.answers import problem_with

    now = now or utcnow()
    action = Action(claims.action)
    try:
        with activity.change() as outbox:
            ticket = load_for_update(claims.ticket_id)
            problem = problem_with(ticket, claims)
            if problem is not None:
                raise AnswerRefused(problem)
            user = ticket.contact_user
            who = actor_for(user, ticket) if user is not None else Actor.TEACHER
            event = _perform(ticket, action, user, who, ActionInput(reason=reason), now)
            event.data = {
                **(event.data or {}),
                "via": "mail",
                "link": claims.link_id,
                "round": claims.round,
                "by_name": user.full_name if user is not None else ticket.contact_name,
                "by_email": user.email if user is not None else ticket.contact_email,
            }
            sla_clocks.after_action(ticket, action, event, now)
            outbox.announce(ticket, event, user)
    except StaleDataError as exc:
        raise StaleTicket() from exc
    return ticket, event


# ------------------------------------------------------------------------------ service levels


def _clock_change(actor: User, ticket_id: int, change, now: datetime | None) -> Ticket:
    """Lock the ticket, let `change` (app.sla.pauses) record its event, announce it."""
    now = now or utcnow()
    try:
        with activity.change() as outbox:
            ticket = load_for_update(ticket_id)
            if not can_view(actor, ticket):
                raise TicketNotFound()
            event = change(ticket, now)
            ticket.updated_at = now
            outbox.announce(ticket, event, actor)
    except StaleDataError as exc:
        raise StaleTicket() from exc
    return ticket


def pause_clocks(
    actor: User, ticket_id: int, kind: str, reason: str, *, now: datetime | None = None
) -> Ticket:
    """Suspend the clocks: waiting for the school ("school") or for a part ("part")."""
    return _clock_change(
        actor, ticket_id, lambda t, at: sla_pauses.pause(actor, t, kind, reason, at), now
    )


def resume_clocks(actor: User, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    return _clock_change(actor, ticket_id, lambda t, at: sla_pauses.resume(actor, t, at), now)


def ask_school(
    actor: User, ticket_id: int, question: str, *, now: datetime | None = None
) -> Ticket:
    """Put a question to the school contact (by mail); the clocks wait for the answer."""
    return _clock_change(
        actor, ticket_id, lambda t, at: sla_pauses.ask_school(actor, t, question, at), now
    )


def close_unanswered(
    ticket_id: int, pause_id: int, *, days: int, now: datetime | None = None
) -> Ticket | None:
    """The system closes a ticket whose question stayed unanswered `days` business days
    (app.sla.jobs); the event says why.

    Idempotent: a ticket whose question was answered, or that moved on, is left alone (None).
    """
    from app.models import TicketPause

    now = now or utcnow()
    try:
        with activity.change() as outbox:
            ticket = load_for_update(ticket_id)
            question = db.session.scalar(
                select(TicketPause)
                .where(TicketPause.id == pause_id, TicketPause.ticket_id == ticket_id)
                .execution_options(populate_existing=True)
            )
            if question is None or question.ended_at is not None:
                return None
            try:
                check(Action.CLOSE_UNANSWERED, ticket.status_enum, Actor.SYSTEM, has_supplier=True)
            except WorkflowError:
                return None
            cancelled = _cancel_visit(ticket, now)
            event = _system_close(
                ticket,
                Action.CLOSE_UNANSWERED,
                EventKind.CLOSED_UNANSWERED,
                sla_pauses.closure_text(question, days),
                {"pause_id": question.id, "visit_cancelled": cancelled is not None},
                now,
            )
            outbox.announce(ticket, event, None)
    except StaleDataError:
        return None
    return ticket
