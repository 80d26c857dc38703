"""iCalendar files of interventions (RFC 5545, methods of RFC 5546), built with `icalendar`.

One VEVENT per intervention, with a UID that never changes for it and its SEQUENCE
(Intervention.sequence: incremented by the service on each new date and on cancellation), so
that a calendar app updates or removes the event it already holds. Times are written in UTC:
the instant stored is the instant sent, whatever the daylight-saving date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress

from app.models import Intervention
from app.notify.links import external_url
from app.tickets.phones import display as phone_display

PRODID = "-//Relais//Ecole Numérique//FR"
DEFAULT_VISIT_MINUTES = 60

REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"


def uid(intervention: Intervention) -> str:
    """The same for every message and feed about this visit, on this installation."""
    host = urlsplit(current_app.config["RELAIS_BASE_URL"]).hostname or "relais"
    return f"intervention-{intervention.id}@{host}"


def visit_minutes() -> int:
    return int(current_app.config.get("RELAIS_VISIT_MINUTES", DEFAULT_VISIT_MINUTES))


def _organizer() -> vCalAddress:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(sender, tuple | list):  # Flask-Mail also takes (name, address)
        name, address = sender[0], sender[1]
    else:
        name, address = parseaddr(sender)
    organizer = vCalAddress(f"mailto:{address or 'relais@localhost'}")
    organizer.params["cn"] = name or "Relais"
    return organizer


def _attendee(email: str, name: str = "") -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    if name:
        attendee.params["cn"] = name
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "NEEDS-ACTION"
    # Relais's sender is a no-reply address: no answer is expected.
    attendee.params["rsvp"] = "FALSE"
    return attendee


def summary(intervention: Intervention, *, with_supplier: bool = False) -> str:
    ticket = intervention.ticket
    who = f" ({intervention.supplier.name})" if with_supplier and intervention.supplier else ""
    return _(
        "Intervention %(reference)s%(who)s — %(summary)s",
        reference=ticket.reference,
        who=who,
        summary=ticket.summary,
    )


def location(intervention: Intervention) -> str:
    site = intervention.ticket.site
    return ", ".join(part for part in (site.name, site.full_address) if part)


def description(intervention: Intervention, link: str) -> str:
    """The event's text, in the language of its reader (a mail's recipient, a feed's owner)."""
    ticket = intervention.ticket
    lines = []
    if intervention.cancelled_at is not None:
        lines += [_("Cette visite est annulée."), ""]
    lines.append(
        _("Demande %(reference)s : %(summary)s", reference=ticket.reference, summary=ticket.summary)
    )
    if intervention.supplier:
        lines.append(_("Fournisseur : %(name)s", name=intervention.supplier.name))
    if ticket.technician:
        lines.append(_("Technicien : %(name)s", name=ticket.technician.full_name))
    lines.append(_("École : %(name)s", name=ticket.site.label))
    contact = ticket.contact_name
    if ticket.contact_phone:
        contact = f"{contact} — {phone_display(ticket.contact_phone)}"
    lines.append(_("Contact : %(contact)s", contact=contact))
    identifiers = " / ".join(p for p in (ticket.equipment_label, ticket.equipment_serial) if p)
    equipment = ticket.equipment_description or "—"
    identified = f" ({identifiers})" if identifiers else ""
    lines.append(_("Matériel : %(equipment)s", equipment=equipment) + identified)
    if intervention.finished_at is not None:
        lines.append(_("Intervention terminée."))
    if intervention.message:
        lines += ["", _("Message du fournisseur :"), intervention.message.strip()]
    lines += ["", _("Voir la demande : %(link)s", link=link)]
    return "\n".join(lines)


def visit_event(
    intervention: Intervention,
    *,
    stamp: datetime,
    with_supplier: bool = False,
    attendee: tuple[str, str] | None = None,
    mark_cancelled: bool = False,
    organizer: vCalAddress | None = None,
) -> Event:
    """The VEVENT of one visit. `attendee` is (email, name) for an invitation's recipient."""
    link = external_url("tickets.show", reference=intervention.ticket.reference)
    cancelled = intervention.cancelled_at is not None
    event = Event()
    event.add("uid", uid(intervention))
    event.add("sequence", intervention.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", intervention.planned_at)
    event.add("dtend", intervention.planned_at + timedelta(minutes=visit_minutes()))
    title = summary(intervention, with_supplier=with_supplier)
    if cancelled and mark_cancelled:
        # Subscribed calendars show some cancelled events anyway: say so in the title.
        title = _("Annulée — %(title)s", title=title)
    event.add("summary", title)
    event.add("location", location(intervention))
    site = intervention.ticket.site
    if site.latitude is not None and site.longitude is not None:
        event.add("geo", (site.latitude, site.longitude))
    event.add("description", description(intervention, link))
    event.add("url", link)
    event.add("organizer", organizer or _organizer())
    if attendee is not None:
        event.add("attendee", _attendee(*attendee))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def invitation(
    intervention: Intervention, method: str, *, email: str, name: str, stamp: datetime
) -> str:
    """The file attached to one person's mail: REQUEST (planned, new date) or CANCEL."""
    calendar = _calendar(method)
    calendar.add_component(visit_event(intervention, stamp=stamp, attendee=(email, name)))
    return calendar.to_ical().decode()


def feed(
    interventions: Iterable[Intervention],
    *,
    name: str,
    stamp: datetime,
    with_supplier: bool = False,
) -> bytes:
    """A subscribed calendar (METHOD:PUBLISH): the apps replace their copy with each fetch."""
    calendar = _calendar(PUBLISH)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    organizer = _organizer()
    for intervention in interventions:
        calendar.add_component(
            visit_event(
                intervention,
                stamp=stamp,
                with_supplier=with_supplier,
                mark_cancelled=True,
                organizer=organizer,
            )
        )
    return calendar.to_ical()
