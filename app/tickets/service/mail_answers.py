"""*Approuver* / *Rouvrir* from the mailbox: a signed link's answer, as the ticket's contact."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.mail_actions.answers import Problem, problem_with
from app.models import TicketEvent
from app.models.types import utcnow
from app.tickets.errors import TicketError
from app.tickets.permissions import actor_for
from app.tickets.service.actions import ActionInput, perform
from app.tickets.service.common import load_for_update, ticket_change
from app.tickets.workflow import Action, Actor


class AnswerRefused(TicketError):
    """An answer link that may not act (app.mail_actions.answers.Problem says why)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(_("Ce lien ne peut plus être utilisé."))


def answer_from_mail(claims, *, reason: str = "", now: datetime | None = None) -> TicketEvent:
    """Apply the *Approuver* / *Rouvrir* of a mail's signed link, as the ticket's contact.

    The link is checked again under the row lock (used, new round, state moved on…), so that of
    two presses, or a press and the automatic closure, exactly one acts. With an account, the
    contact acts as themself; without one, as the workflow's teacher with no user, their name and
    address kept in the event. The event records that it came by mail and which link made it.
    """
    now = now or utcnow()
    action = Action(claims.action)
    with ticket_change() as outbox:
        ticket = load_for_update(claims.ticket_id)
        problem = problem_with(ticket, claims)
        if problem is not None:
            raise AnswerRefused(problem)
        user = ticket.contact_user
        who = actor_for(user, ticket) if user is not None else Actor.TEACHER
        event = perform(ticket, action, user, who, ActionInput(reason=reason), now)
        event.data = {
            **(event.data or {}),
            "via": "mail",
            "link": claims.link_id,
            "round": claims.round,
            "by_name": user.full_name if user is not None else ticket.contact_name,
            "by_email": user.email if user is not None else ticket.contact_email,
        }
        outbox.applied(ticket, event)
        outbox.announce(ticket, event, user)
    return event
