"""The ticket workflow: states, actions, who may do what, from which state, to which state.

Pure rules (docs/domain.md, « The workflow »): no request, no database session (texts are
translated when read). Views ask `available_actions` which buttons to show; the ticket service
asks `check` before applying an action, and `check` raises a typed error that says why not. Both
read the same table, so a button is never shown for an action the service would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

# The states live below the models (app.tickets.states); the callers may name them from here.
from app.tickets.states import FINAL_STATUSES as FINAL_STATUSES
from app.tickets.states import OPEN_STATUSES as OPEN_STATUSES
from app.tickets.states import STATUS_BADGES as STATUS_BADGES
from app.tickets.states import STATUS_LABELS as STATUS_LABELS
from app.tickets.states import Status as Status


class Actor(StrEnum):
    """Who acts, relative to one ticket (not only their role)."""

    ASSISTANT = "assistant"  # any EN maintenance assistant (and admins)
    COORDINATOR = "coordinator"
    SUPPLIER = "supplier"  # a user of the ticket's supplier company
    OTHER_SUPPLIER = "other_supplier"  # a user of another company: never acts
    TEACHER = "teacher"  # the ticket's contact, or a teacher it is shared with
    OTHER_TEACHER = "other_teacher"
    SYSTEM = "system"  # scheduled jobs


class Action(StrEnum):
    PLAN = "plan"  # « Intervention en cours »
    RESCHEDULE = "reschedule"
    FINISH = "finish"  # « Intervention terminée »
    FINISH_ON_SPOT = "finish_on_spot"
    # The EN team answered or did what was asked (its own requests, or solved at the first
    # contact): TERMINÉ without a visit.
    RESOLVE = "resolve"
    APPROVE = "approve"
    REOPEN = "reopen"
    AUTO_CLOSE = "auto_close"
    # The school did not answer a question in time (docs/domain.md): closed by the system.
    CLOSE_UNANSWERED = "close_unanswered"
    SEND_BACK = "send_back"  # « Renvoyer à l'EN »
    REASSIGN_SUPPLIER = "reassign_supplier"
    CANCEL = "cancel"
    ASSIGN_TECHNICIAN = "assign_technician"
    CHANGE_ASSIGNEE = "change_assignee"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    # None: the action does not change the state (reschedule, technician, assistant in charge).
    target: Status | None
    actors: frozenset[Actor]
    label: str
    # The action is about the supplier's visit: impossible while no supplier holds the ticket.
    needs_supplier: bool = False
    # What the person must give: the service and the forms require these.
    requires: tuple[str, ...] = ()


_ANY_OPEN = OPEN_STATUSES
_BEFORE_DONE = frozenset({Status.OPEN, Status.IN_PROGRESS})
_EN = frozenset({Actor.ASSISTANT})
_SUPPLIER = frozenset({Actor.SUPPLIER})

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.PLAN,
            frozenset({Status.OPEN}),
            Status.IN_PROGRESS,
            frozenset({Actor.SUPPLIER, Actor.ASSISTANT}),
            "Intervention en cours",
            needs_supplier=True,
            requires=("planned_at", "message"),
        ),
        Transition(
            Action.RESCHEDULE,
            frozenset({Status.IN_PROGRESS}),
            None,
            _SUPPLIER,
            "Replanifier l’intervention",
            needs_supplier=True,
            requires=("planned_at", "message"),
        ),
        Transition(
            Action.FINISH,
            frozenset({Status.IN_PROGRESS}),
            Status.DONE,
            _SUPPLIER,
            "Intervention terminée",
            needs_supplier=True,
            requires=("summary",),
        ),
        Transition(
            Action.FINISH_ON_SPOT,
            frozenset({Status.OPEN}),
            Status.DONE,
            _SUPPLIER,
            "Intervention réalisée sur place",
            needs_supplier=True,
            requires=("visited_at", "summary"),
        ),
        Transition(
            Action.RESOLVE,
            frozenset({Status.OPEN}),
            Status.DONE,
            _EN,
            "Résolue par l’équipe EN",
            requires=("summary",),
        ),
        Transition(
            Action.APPROVE,
            frozenset({Status.DONE}),
            Status.CLOSED,
            frozenset({Actor.TEACHER, Actor.ASSISTANT}),
            "Approuver",
        ),
        Transition(
            Action.REOPEN,
            frozenset({Status.DONE}),
            Status.OPEN,
            frozenset({Actor.TEACHER, Actor.ASSISTANT}),
            "Rouvrir",
            requires=("reason",),
        ),
        Transition(
            Action.AUTO_CLOSE,
            frozenset({Status.DONE}),
            Status.CLOSED,
            frozenset({Actor.SYSTEM}),
            "Clôturé automatiquement",
        ),
        Transition(
            Action.CLOSE_UNANSWERED,
            _BEFORE_DONE,
            Status.CLOSED,
            frozenset({Actor.SYSTEM}),
            "Fermée faute de réponse",
        ),
        Transition(
            Action.SEND_BACK,
            _BEFORE_DONE,
            Status.OPEN,
            _SUPPLIER,
            "Renvoyer à l’EN",
            needs_supplier=True,
            requires=("reason",),
        ),
        Transition(
            Action.REASSIGN_SUPPLIER,
            _BEFORE_DONE,
            Status.OPEN,
            frozenset({Actor.ASSISTANT, Actor.COORDINATOR}),
            "Changer de fournisseur",
            requires=("supplier_id",),
        ),
        Transition(
            Action.CANCEL,
            _ANY_OPEN,
            Status.CANCELLED,
            _EN,
            "Annuler la demande",
            requires=("reason",),
        ),
        Transition(
            Action.ASSIGN_TECHNICIAN,
            _ANY_OPEN,
            None,
            _SUPPLIER,
            "Confier à un technicien",
            needs_supplier=True,
            requires=("technician_id",),
        ),
        Transition(
            Action.CHANGE_ASSIGNEE,
            _ANY_OPEN,
            None,
            _EN,
            "Changer d’assistant·e responsable",
            requires=("assignee_id",),
        ),
    )
}


class WorkflowError(Exception):
    """An action that may not happen; `message` is for the person who tried."""

    message = _l("Action impossible.")

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotAllowed(WorkflowError):
    message = _l("Vous ne pouvez pas faire cette action sur cette demande.")


class WrongState(WorkflowError):
    message = _l("Cette action n’est pas possible dans l’état actuel de la demande.")


class NoSupplier(WorkflowError):
    message = _l("Aucun fournisseur n’est attribué à cette demande.")


def check(action: Action, status: Status, actor: Actor, *, has_supplier: bool) -> Transition:
    """The transition if `actor` may do `action` on a ticket in `status`; raises otherwise.

    The actor is checked before the state, so that someone who may never act learns nothing
    about where the ticket stands.
    """
    transition = TRANSITIONS[Action(action)]
    if Actor(actor) not in transition.actors:
        raise NotAllowed()
    if Status(status) not in transition.sources:
        raise WrongState()
    if transition.needs_supplier and not has_supplier:
        raise NoSupplier()
    return transition


def available_actions(status: Status, actor: Actor, *, has_supplier: bool) -> list[Transition]:
    """The actions `actor` may take now, in the table's order (the order of the buttons)."""
    allowed = []
    for action in TRANSITIONS:
        try:
            allowed.append(check(action, status, actor, has_supplier=has_supplier))
        except WorkflowError:
            continue
    return allowed


def target_status(transition: Transition, current: Status) -> Status:
    return transition.target or current
