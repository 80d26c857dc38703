"""Who is told of what happens to a ticket: pure rules over a snapshot of the people.

No database, no Flask: the service builds a `TicketPeople` from the ticket, asks `audience`, and
writes one message per recipient. Rules kept here:
- each event kind has its audience, declared with the kind in app.tickets.events
  (docs/domain.md, « Who is told », which also lists where it departs from the original
  table), plus the participants for state changes and comments;
- one message per person per event (recipients are merged by address);
- never to the person who acted;
- a message goes only when two switches allow it: the person's « Notifications » switch on the
  ticket (a participant's `notify`) and their choice of kinds on the profile page
  (`Person.muted_kinds`, from app.notify.preferences); the teacher's approval request and a
  supplier's new assignment (the "!" groups below) always go;
- a supplier is reached at its company's reference address; its other users only when they are
  participants with notifications on;
- internal comments reach EN staff only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.tickets.events import EventKind


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""
    user_id: int | None = None
    # The event kinds this person turned off on their profile (app.notify.preferences).
    muted_kinds: frozenset[str] = frozenset()
    language: str = "fr"  # of their messages (app.notify.languages)
    # A company's reference address: its name is no person's, the mail greets nobody by it.
    company: bool = False

    @property
    def greeting_name(self) -> str:
        """The name « Bonjour … , » uses: none for a company (« Bonjour, »)."""
        return "" if self.company else self.name


@dataclass(frozen=True)
class Participation:
    person: Person
    notify: bool
    is_staff: bool = False


@dataclass(frozen=True)
class TicketPeople:
    supplier: Person | None = None  # the holding company's reference address
    previous_supplier: Person | None = None  # before a reassignment or a send-back
    assistant: Person | None = None  # the assistant in charge
    coordinators: tuple[Person, ...] = ()
    teacher: Person | None = None  # the contact
    technician: Person | None = None
    new_assignee: Person | None = None
    participants: tuple[Participation, ...] = ()
    visit_planned: bool = False  # a visit was planned before this event (reassign, cancel)
    # An edit changed what the supplier relies on (site, contact, device): it is told.
    supplier_told: bool = False


@dataclass
class Recipient:
    person: Person
    reasons: list[str] = field(default_factory=list)
    mandatory: bool = False


# Audience groups per event kind, as app.tickets.events describes them; a trailing "!" marks a
# message that ignores the person's switch.
AUDIENCES: dict[str, tuple[str, ...]] = {kind: kind.audience for kind in EventKind if kind.audience}


def _people_for(group: str, people: TicketPeople) -> list[Person]:
    planned = people.visit_planned
    single = {
        "supplier": people.supplier,
        "assistant": people.assistant,
        "teacher": people.teacher,
        "technician": people.technician,
        "new_assignee": people.new_assignee,
        "previous_supplier_if_planned": people.previous_supplier if planned else None,
        "teacher_if_planned": people.teacher if planned else None,
        "supplier_told": people.supplier if people.supplier_told else None,
        "technician_told": people.technician if people.supplier_told else None,
    }
    if group in single:
        return [single[group]] if single[group] else []
    if group == "coordinators":
        return list(people.coordinators)
    if group == "participants":
        return [p.person for p in people.participants]
    raise KeyError(group)


def audience(
    event: str, people: TicketPeople, actor_email: str | None, *, internal: bool = False
) -> list[Recipient]:
    """The recipients of `event`, one per address, in a stable order.

    A message that is not mandatory for a person is dropped when their switch on the ticket is
    off or when they turned its kind off; a mandatory one always goes.
    """
    switched_off = {p.person.email.lower() for p in people.participants if not p.notify}
    staff = {p.person.email.lower() for p in people.participants if p.is_staff}
    staff |= {p.email.lower() for p in (people.assistant, people.new_assignee) if p}
    staff |= {p.email.lower() for p in people.coordinators}
    actor = (actor_email or "").lower()
    merged: dict[str, Recipient] = {}
    kind_off: set[str] = set()  # addresses whose person turned this kind off, in any of its roles
    for group in AUDIENCES[event]:
        mandatory = group.endswith("!")
        group = group.rstrip("!")
        for person in _people_for(group, people):
            email = person.email.strip().lower()
            if not email or email == actor:
                continue
            if internal and email not in staff:
                continue
            recipient = merged.setdefault(email, Recipient(person=person))
            recipient.reasons.append(group)
            recipient.mandatory = recipient.mandatory or mandatory
            if event in person.muted_kinds:
                kind_off.add(email)
    return [
        r
        for email, r in merged.items()
        if r.mandatory or (email not in switched_off and email not in kind_off)
    ]
