"""Calendar invitations on the mails about a visit, as delivered to a real SMTP server.

Every file is parsed back with icalendar: one UID per intervention across plan → reschedule →
cancellation, a higher SEQUENCE at each change, METHOD and the part's method agreeing, times in
UTC right on both sides of a daylight-saving change, and only the teacher and the assistant in
charge getting a file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from app.extensions import db
from app.models import Intervention, OutboxMessage
from app.notify.transport import build
from app.tickets.planning import to_utc
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support.environment import drain_queue
from tests.support.tickets import TOMORROW_10H, build_world, later

TEACHER = "claire@ecole.example.com"
ASSISTANT = "quentin@relais.example.com"
COORDINATOR = "olivier@relais.example.com"
SUPPLIER_REF = "support@meuse.example.com"
OTHER_REF = "support@brabant.example.com"

# The days after the clocks change in 2026: summer time from 29 March, winter time from 25 October.
SPRING_10H = to_utc(date(2026, 3, 30), time(10, 0))
AUTUMN_10H = to_utc(date(2026, 10, 26), time(10, 0))


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _calendar_parts(message):
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]


def _delivered(app, smtp_server, tag) -> dict:
    """{recipient: (part's method or None, parsed calendar or None)} for mails whose subject
    carries `tag`, delivered since the last call."""
    drain_queue(app)
    got = {}
    for m in smtp_server.messages:
        if tag not in m["message"]["Subject"]:
            continue
        parts = _calendar_parts(m["message"])
        assert len(parts) <= 1, "at most one calendar file per mail"
        for recipient in m["to"]:
            if parts:
                part = parts[0]
                got[recipient] = (part.get_param("method"), Calendar.from_ical(part.get_content()))
            else:
                got[recipient] = (None, None)
    smtp_server.messages.clear()
    return got


def _event(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_plan_reschedule_cancel_keep_one_uid_with_rising_sequence(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket(summary="Écran ; câble HDMI, prise\\murale")
    drain_queue(mail_app)
    smtp_server.messages.clear()

    apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=SPRING_10H, message="Je passe avec un câble neuf."),
        now=later(5),
    )
    planned = _delivered(mail_app, smtp_server, "Intervention prévue")
    assert sorted(planned) == sorted([TEACHER, ASSISTANT, COORDINATOR])
    assert planned[COORDINATOR] == (None, None), "the coordinator follows the feed instead"
    for who in (TEACHER, ASSISTANT):
        method, calendar = planned[who]
        assert method == "REQUEST"
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(calendar["PRODID"]) == "-//Relais//Ecole Numérique//FR"
        assert str(calendar["VERSION"]) == "2.0"
    event = _event(planned[TEACHER][1])
    uid = str(event["UID"])
    intervention = db.session.scalars(db.select(Intervention)).one()
    assert uid == f"intervention-{intervention.id}@relais.test"
    assert str(_event(planned[ASSISTANT][1])["UID"]) == uid
    assert int(event["SEQUENCE"]) == 0
    # 10:00 in Brussels on the day after the change to summer time is 08:00 UTC.
    assert event.decoded("DTSTART") == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=60)
    assert str(event["STATUS"]) == "CONFIRMED"
    # The library escapes ; , and \ ; the text comes back exactly.
    assert str(event["SUMMARY"]) == (
        f"Intervention {ticket.reference} — Écran ; câble HDMI, prise\\murale"
    )
    assert world.site.name in str(event["LOCATION"])
    assert world.site.full_address in str(event["LOCATION"])
    description = str(event["DESCRIPTION"])
    assert "Claire Dumont — 081 12 34 56" in description
    assert "Je passe avec un câble neuf." in description
    assert f"http://relais.test/demandes/{ticket.reference}" in description
    assert str(event["URL"]) == f"http://relais.test/demandes/{ticket.reference}"
    assert str(event["ORGANIZER"]).lower() == "mailto:relais@localhost"
    assert event["ORGANIZER"].params["CN"] == "Relais Ecole Numérique"
    assert str(event["ATTENDEE"]).lower() == f"mailto:{TEACHER}"
    assert str(_event(planned[ASSISTANT][1])["ATTENDEE"]).lower() == f"mailto:{ASSISTANT}"

    apply_action(
        world.supplier_user,
        ticket.id,
        Action.RESCHEDULE,
        ActionInput(planned_at=AUTUMN_10H),
        now=later(6),
    )
    moved = _delivered(mail_app, smtp_server, "replanifiée")
    assert moved[COORDINATOR] == (None, None)
    for who in (TEACHER, ASSISTANT):
        method, calendar = moved[who]
        assert method == "REQUEST" == str(calendar["METHOD"])
        event = _event(calendar)
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        # After the change back to winter time, 10:00 in Brussels is 09:00 UTC.
        assert event.decoded("DTSTART") == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)

    apply_action(
        world.assistant, ticket.id, Action.CANCEL, ActionInput(reason="Doublon."), now=later(7)
    )
    cancelled = _delivered(mail_app, smtp_server, "annulée")
    # The assistant acted: no mail to them; the company's address gets no file.
    assert sorted(cancelled) == sorted([TEACHER, SUPPLIER_REF])
    assert cancelled[SUPPLIER_REF] == (None, None)
    method, calendar = cancelled[TEACHER]
    assert method == "CANCEL" == str(calendar["METHOD"])
    event = _event(calendar)
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_send_back_and_reassignment_cancel_the_visit(mail_app, smtp_server):
    world = build_world()
    first = world.new_ticket()
    second = world.new_ticket(serial="SN-000999")
    for n, ticket in enumerate((first, second)):
        apply_action(
            world.supplier_user,
            ticket.id,
            Action.PLAN,
            ActionInput(planned_at=TOMORROW_10H),
            now=later(n + 1),
        )
    drain_queue(mail_app)
    smtp_server.messages.clear()

    apply_action(
        world.supplier_user,
        first.id,
        Action.SEND_BACK,
        ActionInput(reason="Pas notre lot."),
        now=later(10),
    )
    sent_back = _delivered(mail_app, smtp_server, "renvoyée")
    # The teacher hears of it too, since a visit was planned: their calendar drops it.
    assert sorted(sent_back) == sorted([ASSISTANT, COORDINATOR, TEACHER])
    assert sent_back[COORDINATOR] == (None, None)
    assert sent_back[TEACHER][0] == "CANCEL"
    method, calendar = sent_back[ASSISTANT]
    assert method == "CANCEL"
    event = _event(calendar)
    first_visit = db.session.scalars(
        db.select(Intervention).where(Intervention.ticket_id == first.id)
    ).one()
    assert str(event["UID"]) == f"intervention-{first_visit.id}@relais.test"
    assert int(event["SEQUENCE"]) == 1

    apply_action(
        world.coordinator,
        second.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        now=later(11),
    )
    moved = _delivered(mail_app, smtp_server, "attribuée")
    assert sorted(moved) == sorted([TEACHER, ASSISTANT, SUPPLIER_REF, OTHER_REF])
    assert moved[OTHER_REF] == (None, None)
    assert moved[SUPPLIER_REF] == (None, None)
    second_visit = db.session.scalars(
        db.select(Intervention).where(Intervention.ticket_id == second.id)
    ).one()
    for who in (TEACHER, ASSISTANT):
        method, calendar = moved[who]
        assert method == "CANCEL" == str(calendar["METHOD"])
        event = _event(calendar)
        assert str(event["UID"]) == f"intervention-{second_visit.id}@relais.test"
        assert str(event["STATUS"]) == "CANCELLED"


def test_no_file_when_no_visit_is_concerned(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    created = _delivered(mail_app, smtp_server, "Nouvelle demande")
    assert set(created) == {TEACHER, SUPPLIER_REF}
    assert set(created.values()) == {(None, None)}

    # Given to another company before any visit: nothing to call off.
    apply_action(
        world.coordinator,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        now=later(1),
    )
    assert set(_delivered(mail_app, smtp_server, "attribuée").values()) == {(None, None)}

    apply_action(
        world.other_supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(2),
    )
    assert _delivered(mail_app, smtp_server, "prévue")[TEACHER][0] == "REQUEST"
    apply_action(
        world.other_supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Câble remplacé."),
        now=later(3),
    )
    finished = _delivered(mail_app, smtp_server, "1 approbation")
    assert set(finished) == {TEACHER, ASSISTANT, COORDINATOR}
    assert set(finished.values()) == {(None, None)}

    # A reopened ticket starts over: its new visit is a new calendar event.
    apply_action(world.teacher, ticket.id, Action.REOPEN, ActionInput(reason="Non."), now=later(4))
    apply_action(
        world.other_supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H + timedelta(days=1)),
        now=later(5),
    )
    replanned = _delivered(mail_app, smtp_server, "prévue")
    uids = {
        f"intervention-{i.id}@relais.test"
        for i in db.session.scalars(db.select(Intervention).order_by(Intervention.id))
    }
    event = _event(replanned[TEACHER][1])
    assert len(uids) == 2
    assert str(event["UID"]) == max(uids, key=lambda u: int(u.split("-")[1].split("@")[0]))
    assert int(event["SEQUENCE"]) == 0


def test_outbox_rows_keep_the_file_and_build_it_as_a_calendar_part(app, world):
    """The same through transport.build, without a server: the row stores what is attached."""
    ticket = world.new_ticket()
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(1),
    )
    rows = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "plan")).all()
    by_recipient = {row.recipient: row for row in rows}
    assert by_recipient[COORDINATOR].calendar is None
    row = by_recipient[TEACHER]
    assert row.calendar_method == "REQUEST"
    assert "\r\n" in row.calendar, "iCalendar lines end with CRLF"
    message = build(row)
    raw = message.as_string()
    assert "text/calendar; method=REQUEST" in raw.replace('"', "")
    assert "DTSTART:20260304T090000Z" in row.calendar
