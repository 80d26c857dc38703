"""The *Approuver* / *Rouvrir* links a recipient's mail carries (empty when none applies).

Only the ticket's contact gets them, and only in the messages that ask for their approval: the
supplier's finish (in a planned visit or on the spot) and the reminder before the automatic
closure. Both links of one message share a link id, so that one answer uses the message up.
They stay valid until the automatic closure plus RELAIS_MAIL_ANSWER_GRACE_DAYS (7) days; after
the closure (or any other change) the page says what happened instead of acting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from app.core.time import BRUSSELS
from app.mail_actions.answers import finished_intervention
from app.mail_actions.tokens import (
    AnswerClaims,
    contact_digest,
    make_answer_token,
    new_link_id,
)
from app.models import normalise_email
from app.models.types import utcnow
from app.notify.links import external_url
from app.tickets.deadlines import DEFAULT_DAYS, due_at
from app.tickets.events import EventKind
from app.tickets.workflow import Status

# The kinds whose mail asks the contact for their approval (app.tickets.events).
APPROVAL_EVENTS = frozenset(kind for kind in EventKind if kind.description.asks_approval)
DEFAULT_GRACE_DAYS = 7


def grace() -> timedelta:
    days = current_app.config.get("RELAIS_MAIL_ANSWER_GRACE_DAYS", DEFAULT_GRACE_DAYS)
    return timedelta(days=int(days))


def expiry(ticket, now: datetime, due: datetime | None) -> datetime:
    """When the links of a message sent now stop working: the automatic closure's date plus
    the grace period, and never less than auto_close_days + grace from now (generous: a link
    that outlives the ticket's state only leads to a page saying what happened)."""
    days = (ticket.request_type.auto_close_days if ticket.request_type else 0) or DEFAULT_DAYS
    floor = now + timedelta(days=days)
    return max(due or floor, floor) + grace()


def links_for(ticket, event, recipient, *, now: datetime | None = None, calendar=None) -> dict:
    """Template values for the message to `recipient` about `event` ({} = no links)."""
    if event.kind not in APPROVAL_EVENTS or "teacher" not in recipient.reasons:
        return {}
    email = normalise_email(recipient.person.email)
    if ticket.status != Status.DONE or email != normalise_email(ticket.contact_email or ""):
        return {}
    # The event's own time (the action's `now`): links of a message written for a past or
    # simulated instant are signed for that instant.
    now = now or event.created_at or utcnow()
    intervention = finished_intervention(ticket)
    due = due_at(ticket, calendar)
    expires_at = expiry(ticket, now, due)
    link_id = new_link_id()
    urls = {}
    for action in ("approve", "reopen"):
        claims = AnswerClaims(
            ticket_id=ticket.id,
            contact=contact_digest(email),
            round=ticket.round,
            intervention_id=intervention.id if intervention else None,
            action=action,
            link_id=link_id,
            expires_at=expires_at,
        )
        token = make_answer_token(claims, now=now)
        urls[f"{action}_url"] = external_url("mail_actions.answer", token=token)
    return {
        **urls,
        "expires_on": expires_at.astimezone(BRUSSELS).date(),
        "closes_at": due,
        "link_id": link_id,
        # What the supplier wrote (the reminder repeats it; the finish mail has it as its body).
        "work_summary": intervention.summary if intervention else "",
    }
