"""The iCalendar file attached to a recipient's mail about an intervention, if any."""

from __future__ import annotations


def invitation_for(ticket, event, recipient) -> tuple[str, str] | None:
    """(ics text, method) to attach to the message to `recipient`, or None."""
    return None
