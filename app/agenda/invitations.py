"""The iCalendar file attached to a recipient's mail about an intervention, if any.

The teacher (the school's contact) and the assistant in charge get the visit in their calendar:
an invitation (REQUEST) when it is planned or moved, a cancellation (CANCEL) when it is called
off — the ticket cancelled, sent back to the EN team or given to another supplier. Both carry the
intervention's UID and SEQUENCE (app.agenda.ics), so the app updates or removes its event. The
supplier and the coordinators follow their visits through their calendar feeds instead.
"""

from __future__ import annotations

from app.agenda import ics
from app.models import Intervention, Ticket, TicketEvent
from app.tickets.events import CalendarMethod, kind_of

# Audience groups (app.notify.audience) whose members get the visit in their calendar.
INVITED_GROUPS = frozenset({"teacher", "teacher_if_planned", "assistant"})


def cancelled_visit(ticket: Ticket, event: TicketEvent) -> Intervention | None:
    """The visit `event` called off: cancelled at the event's instant (the service uses one
    `now` for both), else the most recently cancelled one of the round."""
    cancelled = [
        i for i in ticket.interventions if i.round == ticket.round and i.cancelled_at is not None
    ]
    if not cancelled:
        return None
    for intervention in cancelled:
        if intervention.cancelled_at == event.created_at:
            return intervention
    return max(cancelled, key=lambda i: (i.cancelled_at, i.id))


def invitation_for(ticket, event, recipient) -> tuple[str, str] | None:
    """(ics text, method) to attach to the message to `recipient`, or None."""
    if not INVITED_GROUPS.intersection(recipient.reasons):
        return None
    kind = kind_of(event.kind)
    calendar = kind.description.calendar if kind is not None else None
    if calendar == CalendarMethod.REQUEST:
        intervention, method = ticket.current_visit, ics.REQUEST
    elif calendar == CalendarMethod.CANCEL and event.data.get("visit_cancelled"):
        intervention, method = cancelled_visit(ticket, event), ics.CANCEL
    else:
        return None
    if intervention is None:
        return None
    text = ics.invitation(
        intervention,
        method,
        email=recipient.person.email,
        name=recipient.person.name,
        stamp=event.created_at,
    )
    return text, method
