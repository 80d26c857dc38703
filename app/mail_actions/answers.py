"""Whether an answer link may still act on its ticket, and why not (plain rules, no Flask).

The view asks before showing the page, the ticket service asks again under the row lock before
acting; both read the same rules, so the page never offers what the service would refuse.
"""

from __future__ import annotations

from enum import StrEnum

from app.mail_actions.tokens import AnswerClaims
from app.models import Intervention, Ticket, TicketEvent
from app.tickets.events import EventKind
from app.tickets.workflow import Status

# What the links may answer: the kinds app.tickets.events marks `answers_approval`.
ANSWER_KINDS = frozenset(kind for kind in EventKind if kind.description.answers_approval)


class Problem(StrEnum):
    INVALID = "invalid"  # altered, truncated, unknown ticket
    EXPIRED = "expired"
    USED = "used"  # this message's links already answered
    NEW_ROUND = "new_round"  # reopened since: the message was about an earlier visit
    MOVED_ON = "moved_on"  # no longer TERMINÉ (approved, closed automatically, cancelled)
    NOT_CONTACT = "not_contact"  # the ticket's contact is someone else now
    INACTIVE = "inactive"  # the contact's account is closed


# HTTP status of each refusal page.
STATUS_CODES = {
    Problem.INVALID: 404,
    Problem.EXPIRED: 410,
    Problem.USED: 410,
    Problem.NEW_ROUND: 410,
    Problem.MOVED_ON: 410,
    Problem.NOT_CONTACT: 410,
    Problem.INACTIVE: 403,
}


def link_event(ticket: Ticket, link_id: str) -> TicketEvent | None:
    """The answer this message's links already gave, if any."""
    for event in ticket.events:
        if event.kind in ANSWER_KINDS and (event.data or {}).get("link") == link_id:
            return event
    return None


def finished_intervention(ticket: Ticket) -> Intervention | None:
    """The visit of the current round that the school is asked to approve."""
    found = None
    for intervention in ticket.interventions:
        if (
            intervention.round == ticket.round
            and intervention.finished_at is not None
            and intervention.cancelled_at is None
        ):
            found = intervention
    return found


def last_change(ticket: Ticket) -> TicketEvent | None:
    """The event that brought the ticket to its current state."""
    for event in reversed(ticket.events):
        if event.to_status and event.from_status and event.to_status != event.from_status:
            return event
    return None


def problem_with(ticket: Ticket | None, claims: AnswerClaims) -> Problem | None:
    """Why the link may not act now (None: it may)."""
    if ticket is None or ticket.id != claims.ticket_id:
        return Problem.INVALID
    if link_event(ticket, claims.link_id) is not None:
        return Problem.USED
    if not claims.is_for(ticket.contact_email or ""):
        return Problem.NOT_CONTACT
    if claims.round != ticket.round:
        return Problem.NEW_ROUND
    if ticket.status != Status.DONE:
        return Problem.MOVED_ON
    intervention = finished_intervention(ticket)
    if claims.intervention_id != (intervention.id if intervention else None):
        return Problem.NEW_ROUND
    if ticket.contact_user is not None and not ticket.contact_user.active:
        return Problem.INACTIVE
    return None
