"""One message for several changes to one ticket: what a person reads when the send job claimed
more than one of their waiting messages about the same ticket (app.notify.jobs).

Its subject names the change that matters most (a new ticket before a comment, see
app.tickets.events.RANKS) and counts the others. The message is rendered again from the rows'
ticket and events, one section per event
(mail/_event_section.*, the same part a single message shows), in the order they happened. The
ticket's details are those of now; the teacher's answer links come with a finished
intervention's section as in a single message; the newest calendar attachment goes along. It is
written in the language its rows were written in (the recipient's, app.notify.languages).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import ngettext
from sqlalchemy import select

from app.core.locales import in_language
from app.extensions import db
from app.mail_actions.links import links_for
from app.models import OutboxMessage, Ticket, TicketEvent
from app.notify.audience import Person, Recipient, audience
from app.notify.links import external_url
from app.notify.threads import reply_address
from app.notify.ticket_notices import headline, people_of
from app.notify.transport import Outgoing
from app.tickets.events import kind_of


def recipient_of(ticket: Ticket, event: TicketEvent, row: OutboxMessage) -> Recipient:
    """Why `row`'s person hears of `event` (their reasons), as when the row was written."""
    people = people_of(ticket, event)
    actor = event.actor.email if event.actor else None
    for recipient in audience(event.kind, people, actor, internal=event.internal):
        if recipient.person.email.strip().lower() == row.recipient:
            return recipient
    # The ticket changed since (another supplier, a switched-off participant): what the row tells.
    teacher = (ticket.contact_email or "").strip().lower() == row.recipient
    return Recipient(
        person=Person(email=row.recipient, user_id=row.user_id),
        reasons=["teacher"] if teacher else [],
    )


def _subject(ticket: Ticket, sections: list[dict]) -> str:
    """« [TECH-100] Nouvelle demande — Résumé (+1 changement) »: named after the event that
    matters most (app.tickets.events.RANKS; the newest of equal rank), so that a new ticket,
    an assignment or an approval request is recognised among the changes that came with it."""
    _, main = max(
        enumerate(sections),
        key=lambda pair: (_rank(pair[1]["event"]), pair[0]),
    )
    return ngettext(
        "[%(reference)s] %(headline)s — %(summary)s (+%(num)d changement)",
        "[%(reference)s] %(headline)s — %(summary)s (+%(num)d changements)",
        len(sections) - 1,
        reference=ticket.reference,
        headline=main["title"],
        summary=ticket.summary,
    )


def _rank(event: TicketEvent) -> int:
    kind = kind_of(event.kind)
    return kind.rank if kind else 0


def compose(primary: OutboxMessage, rows: list[OutboxMessage]) -> Outgoing:
    """The digest of `rows` (the primary among them), sent under the primary's id."""
    with in_language(primary.language):
        return _compose(primary, rows)


def _compose(primary: OutboxMessage, rows: list[OutboxMessage]) -> Outgoing:
    rows = sorted(rows, key=lambda row: row.id)
    ticket = db.session.get(Ticket, primary.ticket_id)
    events = {
        event.id: event
        for event in db.session.scalars(
            select(TicketEvent).where(TicketEvent.id.in_([row.event_id for row in rows]))
        )
    }
    sections = []
    for row in rows:
        event = events[row.event_id]
        to = recipient_of(ticket, event, row)
        sections.append(
            {
                "event": event,
                "title": headline(ticket, event),
                "to": to,
                "actor": event.actor,
                "answer": links_for(ticket, event, to),
            }
        )
    people = [section["to"].person for section in sections]
    named = next((person for person in people if person.name), people[0])
    to = Recipient(
        person=named,
        reasons=sorted({reason for section in sections for reason in section["to"].reasons}),
        mandatory=any(section["to"].mandatory for section in sections),
    )
    context = {
        "ticket": ticket,
        "sections": sections,
        "to": to,
        "link": external_url("tickets.show", reference=ticket.reference),
        "profile_link": external_url("auth.profile"),
    }
    with_calendar = [row for row in rows if row.calendar]
    calendar = with_calendar[-1] if with_calendar else None
    return Outgoing(
        id=primary.id,
        recipient=primary.recipient,
        subject=_subject(ticket, sections),
        body_text=render_template("mail/ticket_digest.txt", **context),
        body_html=render_template("mail/ticket_digest.html", **context),
        reply_to=primary.reply_to or reply_address(ticket.id, primary.recipient),
        calendar=calendar.calendar if calendar else None,
        calendar_method=calendar.calendar_method if calendar else None,
        message_id=primary.message_id,
        thread_id=primary.thread_id,
    )
