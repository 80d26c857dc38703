"""Pauses of the clocks: waiting for the school or a part, and a question put to the school.

Rules over a ticket the service has loaded and locked, inside its transaction (no commit here):
each function checks who acts and the ticket's state, changes the rows, and returns the event
to record and announce (app.notify.audience: pause, resume, info_request).

- `pause`: the supplier holding the ticket or EN staff stop the clocks, with a kind ("school":
  waiting for the school — access, a person; "part": waiting for a part) and a reason.
- `resume`: the same people start them again; the paused business time moves the due times.
- `ask_school`: a question to the school contact, sent by mail as the event's body;
  the clocks pause until the contact answers. A comment by the school (`on_comment`) ends that
  pause and resumes the clocks; without an answer, app.sla.jobs reminds the contact and then
  closes the ticket.

One pause at most is open at a time. A question asked while the ticket waits for something
else replaces that pause (the clocks stay paused throughout).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Ticket, TicketEvent, TicketPause, User
from app.sla import clocks
from app.tickets.activity import record
from app.tickets.errors import Forbidden, TicketError
from app.tickets.events import EventKind
from app.tickets.permissions import actor_for
from app.tickets.planning import date_text
from app.tickets.workflow import Actor, Status

SCHOOL, PART, INFORMATION = "school", "part", "information"
MANUAL_KINDS = (SCHOOL, PART)  # set by hand; INFORMATION comes with a question
KIND_LABELS = {
    SCHOOL: _l("attente de l’école"),
    PART: _l("attente d’une pièce"),
    INFORMATION: _l("question posée à l’école"),
}
# The clocks run, so they can pause, before the work is finished.
PAUSABLE = frozenset({Status.OPEN, Status.IN_PROGRESS})
# Who may pause, resume and ask the school (relative to the ticket).
ACTORS = frozenset({Actor.ASSISTANT, Actor.COORDINATOR, Actor.SUPPLIER})
TEXT_MAX = 5000

NOT_ALLOWED = _l("Seuls le fournisseur de la demande et l’équipe EN suspendent ses délais.")
WRONG_STATE = _l("Les délais ne se suspendent que sur une demande OUVERTE ou EN COURS.")


def may_pause(user: User, ticket: Ticket) -> bool:
    """`user` may pause, resume and ask the school on `ticket` (whatever its state)."""
    return actor_for(user, ticket) in ACTORS


def _check(actor: User, ticket: Ticket) -> None:
    if not may_pause(actor, ticket):
        raise Forbidden(NOT_ALLOWED)
    if ticket.status not in PAUSABLE:
        raise Forbidden(WRONG_STATE)


def _text(value: str, field: str, missing: str) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise TicketError(missing, field=field)
    if len(value) > TEXT_MAX:
        raise TicketError(_("%(n)s caractères au maximum.", n=TEXT_MAX), field=field)
    return value


def _open(ticket: Ticket, actor: User, kind: str, reason: str, now: datetime) -> TicketPause:
    pause = TicketPause(
        ticket=ticket, kind=kind, reason=reason, started_at=now, started_by_id=actor.id
    )
    db.session.add(pause)
    clocks.pause_clocks(ticket)
    return pause


def _close(ticket: Ticket, pause: TicketPause, actor: User | None, now: datetime) -> None:
    clocks.resume_clocks(ticket, pause, now)
    pause.ended_at = now
    pause.ended_by_id = actor.id if actor is not None else None


def pause(actor: User, ticket: Ticket, kind: str, reason: str, now: datetime) -> TicketEvent:
    _check(actor, ticket)
    if kind not in MANUAL_KINDS:
        raise TicketError(_("Choisissez ce que la demande attend."), field="kind")
    reason = _text(reason, "reason", _("Indiquez ce que la demande attend."))
    if clocks.open_pause(ticket.id) is not None:
        raise TicketError(_("Les délais de cette demande sont déjà suspendus."))
    opened = _open(ticket, actor, kind, reason, now)
    db.session.flush()
    data = {"kind": kind, "pause_id": opened.id}
    return record(ticket, actor, EventKind.PAUSE, body=reason, now=now, data=data)


def resume(actor: User, ticket: Ticket, now: datetime) -> TicketEvent:
    _check(actor, ticket)
    current = clocks.open_pause(ticket.id)
    if current is None:
        raise TicketError(_("Les délais de cette demande ne sont pas suspendus."))
    _close(ticket, current, actor, now)
    data = {"kind": current.kind, "pause_id": current.id}
    return record(ticket, actor, EventKind.RESUME, now=now, data=data)


def ask_school(actor: User, ticket: Ticket, question: str, now: datetime) -> TicketEvent:
    """Put `question` to the school contact: sent by mail (the event's body); clocks paused."""
    _check(actor, ticket)
    question = _text(question, "question", _("Écrivez votre question à l’école."))
    if not ticket.contact_email:
        raise TicketError(
            _("Cette demande n’a pas d’adresse e-mail de contact : appelez l’école."),
            field="question",
        )
    current = clocks.open_pause(ticket.id)
    if current is not None and current.kind == INFORMATION:
        raise TicketError(
            _("Une question attend déjà la réponse de l’école : complétez-la par un commentaire.")
        )
    if current is not None:  # the wait for a part or the school becomes the wait for an answer
        _close(ticket, current, actor, now)
    opened = _open(ticket, actor, INFORMATION, question, now)
    db.session.flush()
    data = {"pause_id": opened.id}
    return record(ticket, actor, EventKind.INFO_REQUEST, body=question, now=now, data=data)


def on_comment(actor: User | None, ticket: Ticket, now: datetime) -> TicketEvent | None:
    """A comment by the school answers an open question: the clocks resume (event "resume").
    `actor` None: the ticket's contact without an account (a reply by mail)."""
    if actor is not None and actor_for(actor, ticket) != Actor.TEACHER:
        return None
    current = clocks.open_pause(ticket.id)
    if current is None or current.kind != INFORMATION:
        return None
    # Lock the row, then look again: the closure job may have acted in between.
    db.session.refresh(ticket, ["status", "version"], with_for_update=True)
    current = db.session.scalar(
        select(TicketPause)
        .where(TicketPause.id == current.id, TicketPause.ended_at.is_(None))
        .execution_options(populate_existing=True)
    )
    if current is None:
        return None
    _close(ticket, current, actor, now)
    data = {"kind": INFORMATION, "pause_id": current.id, "answer": True}
    return record(ticket, actor, EventKind.RESUME, now=now, data=data)


def remind(ticket: Ticket, current: TicketPause, now: datetime) -> TicketEvent:
    """The reminder to the school contact (once per question)."""
    current.reminded_at = now
    data = {"pause_id": current.id}
    return record(ticket, None, EventKind.INFO_REMINDER, body=current.reason, now=now, data=data)


def closure_text(question: TicketPause, days: int) -> str:
    """Why the system closed the ticket (the body of the event "closed_unanswered")."""
    return (
        f"L’école n’a pas répondu en {days} jours ouvrables à la question posée le "
        f"{date_text(question.started_at)} : la demande est fermée. Si le problème persiste, "
        "une nouvelle demande peut être ouverte.\n\n"
        f"Question : {question.reason}"
    )
