"""Waiting for the school, and the « Délais » part of the ticket page.

A question to the school contact pauses the clocks and goes by mail; a reminder after 3
business days, once; closure after 7 business days without an answer, with an event saying
why; a comment by the school answers and resumes. Who may pause, resume and ask: the supplier
holding the ticket and EN staff; the forms work with and without htmx.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Intervention, ServiceClock, Ticket, TicketEvent, TicketPause
from app.models.types import utcnow
from app.sla import jobs
from app.tickets.errors import Forbidden, TicketError, TicketNotFound
from app.tickets.service import (
    ActionInput,
    NewTicket,
    add_comment,
    apply_action,
    ask_school,
    create_ticket,
    pause_clocks,
    resume_clocks,
)
from app.tickets.workflow import Action, Status
from tests.support.environment import drain_queue
from tests.support.tickets import build_world
from tests.support.web import extract_csrf, signed_in

BRU = ZoneInfo("Europe/Brussels")
HTMX = {"HX-Request": "true"}
TEACHER = "claire@ecole.example.com"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Brussels wall-clock time in March 2026 (no public holiday), as a UTC instant."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BRU).astimezone(UTC)


MONDAY_10H = at(9, 10)


FRIDAY_16H = at(6, 16)


def new_ticket(world, now=FRIDAY_16H, **overrides) -> Ticket:
    data = NewTicket(
        request_type_id=world.request_type.id,
        summary="Tablette bloquée sur le logo",
        description="Diagnostic : à réinitialiser.",
        site_id=world.site.id,
        contact_name=world.teacher.full_name,
        contact_email=overrides.pop("contact_email", world.teacher.email),
        equipment_serial="SN-42",
        equipment_description="Lot 01 - Écran interactif",
        supplier_id=world.supplier.id,
        **overrides,
    )
    return create_ticket(world.assistant, data, now=now)


def events(ticket, kind=None) -> list[TicketEvent]:
    db.session.expire_all()
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if kind:
        query = query.where(TicketEvent.kind == kind)
    return list(db.session.scalars(query.order_by(TicketEvent.id)))


def open_pauses(ticket) -> list[TicketPause]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TicketPause).where(
                TicketPause.ticket_id == ticket.id, TicketPause.ended_at.is_(None)
            )
        )
    )


# ------------------------------------------------------------------ the service


def test_asking_the_school_pauses_the_clocks_and_mails_the_question(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        world = build_world()
        ticket = new_ticket(world)
        drain_queue(app)
        smtp_server.messages.clear()
        question = "Le numéro de série est-il bien SN-42 ?\nPouvez-vous envoyer une photo ?"
        ask_school(world.supplier_user, ticket.id, question, now=MONDAY_10H)

        (pause,) = open_pauses(ticket)
        assert (pause.kind, pause.reason, pause.started_at) == ("information", question, MONDAY_10H)
        (event,) = events(ticket, "info_request")
        assert event.body == question
        assert event.actor_id == world.supplier_user.id
        running = db.session.scalars(
            select(ServiceClock).where(ServiceClock.stopped_at.is_(None))
        ).all()
        assert len(running) == 4
        assert {c.due_at for c in running} == {None}

        drain_queue(app)
        got = [m for m in smtp_server.messages if "Question de" in m["message"]["Subject"]]
        # The contact, and the participants (here the assistant who opened the ticket).
        assert sorted(r for m in got for r in m["to"]) == [TEACHER, "quentin@relais.example.com"]
        (mail,) = [m for m in got if m["to"] == [TEACHER]]
        text = mail["message"].get_body(("plain",)).get_content()
        assert "Pouvez-vous envoyer une photo ?" in text


def test_a_question_needs_words_and_a_contact_address(world):
    ticket = new_ticket(world)
    with pytest.raises(TicketError) as empty:
        ask_school(world.assistant, ticket.id, "   ", now=MONDAY_10H)
    assert empty.value.field == "question"
    nobody = new_ticket(world, contact_email="")
    with pytest.raises(TicketError, match="appelez l’école"):
        ask_school(world.assistant, nobody.id, "Une question ?", now=MONDAY_10H)
    assert open_pauses(ticket) == []
    assert open_pauses(nobody) == []
    ask_school(world.assistant, ticket.id, "Une question ?", now=MONDAY_10H)
    with pytest.raises(TicketError, match="attend déjà"):
        ask_school(world.assistant, ticket.id, "Une autre ?", now=MONDAY_10H)


def test_the_schools_comment_answers_and_resumes(world):
    ticket = new_ticket(world)
    ask_school(world.assistant, ticket.id, "Quel local ?", now=MONDAY_10H)
    # The supplier's comment is not an answer.
    add_comment(world.supplier_user, ticket.id, "Nous attendons.", now=at(9, 11))
    assert len(open_pauses(ticket)) == 1
    add_comment(world.teacher, ticket.id, "Local 12, au premier étage.", now=at(10, 10))
    assert open_pauses(ticket) == []
    (resumed,) = events(ticket, "resume")
    assert resumed.actor_id == world.teacher.id
    assert resumed.data["answer"] is True
    plan = db.session.scalars(
        select(ServiceClock).where(ServiceClock.supplier_id.is_(None), ServiceClock.kind == "plan")
    ).one()
    # Paused from Monday 10:00 to Tuesday 10:00: 8 business hours; due Monday 16:00 + 8 h.
    assert plan.paused_minutes == 480
    assert plan.due_at == at(10, 16)

    # Nothing more happens to it: no reminder, no closure.
    result = jobs.run_due(now=at(25, 12))
    assert result["reminded"] == 0
    assert result["closed"] == 0
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.OPEN


def test_a_question_replaces_a_wait_for_a_part(world):
    ticket = new_ticket(world)
    pause_clocks(world.supplier_user, ticket.id, "part", "Écran commandé.", now=at(9, 9))
    ask_school(world.supplier_user, ticket.id, "Pouvons-nous passer jeudi ?", now=MONDAY_10H)
    (pause,) = open_pauses(ticket)
    assert pause.kind == "information"
    plan = db.session.scalars(
        select(ServiceClock).where(ServiceClock.supplier_id.is_(None), ServiceClock.kind == "plan")
    ).one()
    assert plan.paused_minutes == 60
    assert plan.due_at is None


def test_reminder_after_three_business_days_once(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        world = build_world()
        ticket = new_ticket(world)
        ask_school(world.assistant, ticket.id, "Quel local ?", now=MONDAY_10H)
        drain_queue(app)
        smtp_server.messages.clear()

        # Thursday 9:59: not yet three business days.
        assert jobs.run_due(now=at(12, 9, 59))["reminded"] == 0
        assert jobs.run_due(now=at(12, 10))["reminded"] == 1
        (reminder,) = events(ticket, "info_reminder")
        assert reminder.body == "Quel local ?"
        assert reminder.actor_id is None
        assert open_pauses(ticket)[0].reminded_at == at(12, 10)
        drain_queue(app)
        got = [m for m in smtp_server.messages if "Rappel" in m["message"]["Subject"]]
        assert [m["to"] for m in got] == [[TEACHER]]
        smtp_server.messages.clear()

        assert jobs.run_due(now=at(13, 10))["reminded"] == 0
        assert len(events(ticket, "info_reminder")) == 1


def test_reminder_days_skip_weekends_and_follow_the_setting(make_app):
    app = make_app(RELAIS_INFO_REMINDER_DAYS=1, RELAIS_INFO_CLOSE_DAYS=2)
    with app.app_context():
        world = build_world()
        ticket = new_ticket(world, now=at(6, 9))
        ask_school(world.assistant, ticket.id, "Quel local ?", now=at(6, 14))  # a Friday
        assert jobs.run_due(now=at(8, 20))["reminded"] == 0  # Sunday evening
        assert jobs.run_due(now=at(9, 14))["reminded"] == 1  # Monday 14:00
        assert jobs.run_due(now=at(10, 13, 59))["closed"] == 0
        assert jobs.run_due(now=at(10, 14))["closed"] == 1


def test_closed_after_seven_business_days_without_an_answer(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        world = build_world()
        ticket = new_ticket(world)
        ticket = apply_action(
            world.supplier_user,
            ticket.id,
            Action.PLAN,
            ActionInput(planned_at=at(20, 10)),
            now=at(9, 9),
        ).ticket
        ask_school(world.supplier_user, ticket.id, "Le local est-il accessible ?", now=MONDAY_10H)
        drain_queue(app)
        smtp_server.messages.clear()

        # Seven business days after Monday 9 March 10:00: Wednesday 18 March 10:00.
        assert jobs.run_due(now=at(18, 9, 59))["closed"] == 0
        assert jobs.run_due(now=at(18, 10))["closed"] == 1
        db.session.expire_all()
        ticket = db.session.get(Ticket, ticket.id)
        assert ticket.status == Status.CLOSED
        assert ticket.closed_at == at(18, 10)
        (closure,) = events(ticket, "closed_unanswered")
        assert (closure.from_status, closure.to_status) == ("in_progress", "closed")
        assert closure.actor_id is None
        assert "n’a pas répondu en 7 jours ouvrables" in closure.body
        assert "9 mars 2026" in closure.body
        assert "Le local est-il accessible ?" in closure.body
        assert open_pauses(ticket) == []
        clocks = db.session.scalars(select(ServiceClock)).all()
        assert {c.outcome for c in clocks if c.kind == "resolve"} == {"closed"}
        assert all(c.stopped_at is not None for c in clocks)
        # The planned visit is called off.
        visit = db.session.scalars(select(Intervention)).one()
        assert visit.cancelled_at == at(18, 10)

        drain_queue(app)
        got = [m for m in smtp_server.messages if "faute de réponse" in m["message"]["Subject"]]
        assert sorted(r for m in got for r in m["to"]) == [
            TEACHER,
            "quentin@relais.example.com",
            "support@meuse.example.com",
        ]
        # Idempotent: a second run does nothing more.
        assert jobs.run_due(now=at(19, 10)) == {"warned": 0, "reminded": 0, "closed": 0}
        assert len(events(ticket, "closed_unanswered")) == 1


def test_an_answer_the_same_moment_wins_over_the_closure(world):
    """The closure checks the question again under the lock: answered means left alone."""
    from app.tickets.service import close_unanswered

    ticket = new_ticket(world)
    ask_school(world.assistant, ticket.id, "Quel local ?", now=MONDAY_10H)
    (question,) = open_pauses(ticket)
    add_comment(world.teacher, ticket.id, "Local 12.", now=at(18, 9))
    assert close_unanswered(ticket.id, question.id, days=7, now=at(18, 10)) is None
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.OPEN


# ------------------------------------------------------------------ who may


def test_who_may_pause_resume_and_ask(world):
    ticket = new_ticket(world)
    for outsider in (world.other_supplier_user, world.other_teacher):
        with pytest.raises(TicketNotFound):
            ask_school(outsider, ticket.id, "?", now=MONDAY_10H)
    with pytest.raises(Forbidden):
        pause_clocks(world.teacher, ticket.id, "part", "Pièce.", now=MONDAY_10H)
    with pytest.raises(Forbidden):
        ask_school(world.teacher, ticket.id, "?", now=MONDAY_10H)
    for hour, who in enumerate((world.supplier_colleague, world.coordinator, world.admin), 10):
        pause_clocks(who, ticket.id, "school", "Fermé.", now=at(9, hour))
        resume_clocks(who, ticket.id, now=at(9, hour, 30))
    with pytest.raises(TicketError, match="ne sont pas suspendus"):
        resume_clocks(world.assistant, ticket.id, now=at(9, 13))
    with pytest.raises(TicketError):
        pause_clocks(world.assistant, ticket.id, "information", "Sans question.", now=at(9, 13))
    # Not once the work is done.
    plan = ActionInput(planned_at=at(9, 14))
    apply_action(world.supplier_user, ticket.id, Action.PLAN, plan, now=at(9, 13))
    done = ActionInput(summary="Fait.")
    apply_action(world.supplier_user, ticket.id, Action.FINISH, done, now=at(9, 15))
    with pytest.raises(Forbidden, match="OUVERTE ou EN COURS"):
        ask_school(world.assistant, ticket.id, "?")


def test_a_supplier_asks_on_its_own_tickets_only(app, world):
    ours = new_ticket(world)
    theirs = new_ticket(world)
    apply_action(
        world.assistant,
        theirs.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
    )
    client = signed_in(app, world.supplier_user)
    html = client.get(f"/demandes/{ours.reference}").get_data(as_text=True)
    data = {"csrf_token": extract_csrf(html), "ask-question": "Quel local ?"}
    assert (
        client.post(f"/demandes/{theirs.reference}/delais/question", data=data).status_code == 404
    )
    response = client.post(f"/demandes/{ours.reference}/delais/question", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/demandes/{ours.reference}#ticket-clocks")
    assert len(open_pauses(ours)) == 1
    assert open_pauses(theirs) == []


# ------------------------------------------------------------------ the page and its forms


def _page(client, ticket) -> str:
    response = client.get(f"/demandes/{ticket.reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_each_clock_in_words(app, world):
    now = utcnow()
    running = new_ticket(world, now=now)
    late = new_ticket(world, now=now - timedelta(days=30))
    paused = new_ticket(world, now=now)
    pause_clocks(world.assistant, paused.id, "part", "Dalle commandée.", now=now)
    teacher = signed_in(app, world.teacher)
    html = _page(teacher, running)
    assert re.search(
        r"Prise en compte :</strong> échéance \w+\. \d\d/\d\d à \d\d:\d\d — reste ", html
    )
    assert "Résolution :</strong> échéance" in html
    assert "Délais en heures ouvrées : 09:00–17:00" in html
    # The teacher reads the clocks but has no form.
    assert "/delais/pause" not in html
    assert "/delais/question" not in html

    html = _page(teacher, late)
    late_by = r"Prise en compte :</strong> échéance [^<]* — dépassé de \d+ jours ouvrés"
    assert re.search(late_by, html)
    assert "En retard" in html

    supplier = signed_in(app, world.supplier_user)
    html = _page(supplier, paused)
    assert "En pause depuis" in html
    assert "(attente d’une pièce)" in html
    assert "Dalle commandée." in html
    assert "Prise en compte :</strong> en pause — reste 8 h" in html
    assert f'action="/demandes/{paused.reference}/delais/reprise"' in html
    assert "/delais/pause" not in html  # one pause at a time
    html = _page(supplier, running)
    assert f'action="/demandes/{running.reference}/delais/pause"' in html
    assert f'action="/demandes/{running.reference}/delais/question"' in html


def test_pause_and_resume_with_htmx_and_without(app, world):
    ticket = new_ticket(world, now=utcnow())
    client = signed_in(app, world.supplier_user)
    csrf = extract_csrf(_page(client, ticket))
    url = f"/demandes/{ticket.reference}/delais"

    # Nothing typed: 422, the form again with the message, nothing saved.
    response = client.post(f"{url}/pause", data={"csrf_token": csrf, "pause-kind": "part"})
    assert response.status_code == 422
    assert "Indiquez ce que la demande attend." in response.get_data(as_text=True)
    assert open_pauses(ticket) == []
    response = client.post(
        f"{url}/pause",
        data={"csrf_token": csrf, "pause-kind": "part", "pause-reason": ""},
        headers=HTMX,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="ticket-clocks"')
    assert '<details class="action" open>' in html
    assert "hx-swap-oob" not in html

    # htmx: the part itself, and the other parts out of band (the state, the buttons…).
    response = client.post(
        f"{url}/pause",
        data={"csrf_token": csrf, "pause-kind": "school", "pause-reason": "Élèves en examen."},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="ticket-clocks"')
    assert "Les délais sont suspendus." in html
    assert "(attente de l’école)" in html
    assert (
        'id="ticket-actions" class="ticket-actions" aria-label="Actions" hx-swap-oob="true"' in html
    )
    assert len(open_pauses(ticket)) == 1

    # Without JavaScript: a redirect, and the message on the page.
    response = client.post(f"{url}/reprise", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert open_pauses(ticket) == []
    assert "Les délais reprennent." in _page(client, ticket)
    # Resuming again: a clear message, no 500.
    response = client.post(f"{url}/reprise", data={"csrf_token": csrf}, headers=HTMX)
    assert response.status_code == 422
    assert "ne sont pas suspendus" in response.get_data(as_text=True)


def test_teachers_and_outsiders_are_refused(app, world):
    ticket = new_ticket(world, now=utcnow())
    teacher = signed_in(app, world.teacher)
    csrf = extract_csrf(_page(teacher, ticket))
    for path in ("pause", "reprise", "question"):
        response = teacher.post(
            f"/demandes/{ticket.reference}/delais/{path}",
            data={"csrf_token": csrf, "pause-reason": "x", "ask-question": "x"},
        )
        assert response.status_code == 403
    outsider = signed_in(app, world.other_supplier_user)
    csrf = extract_csrf(outsider.get("/demandes").get_data(as_text=True))
    response = outsider.post(
        f"/demandes/{ticket.reference}/delais/pause",
        data={"csrf_token": csrf, "pause-kind": "part", "pause-reason": "x"},
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TicketPause)) == 0
    # No state change on GET.
    assert teacher.get(f"/demandes/{ticket.reference}/delais/pause").status_code == 405


def test_the_activity_tells_the_story_in_sentences(app, world):
    ticket = new_ticket(world)
    ask_school(world.assistant, ticket.id, "Quel local ?", now=MONDAY_10H)
    add_comment(world.teacher, ticket.id, "Local 12.", now=at(9, 11))
    html = _page(signed_in(app, world.assistant), ticket)
    assert "a posé une question à l’école" in html
    assert "a répondu à la question : les délais reprennent" in html


def test_after_a_reassignment_the_new_company_s_own_clocks_are_shown(app, world):
    ticket = new_ticket(world, now=utcnow() - timedelta(days=10))
    apply_action(
        world.coordinator,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
    )
    html = _page(signed_in(app, world.other_supplier_user), ticket)
    assert "Délais de Brabant Systèmes" in html
    assert "depuis son attribution le" in html
    # The ticket's clock is late; the new company's runs from its assignment.
    assert html.count("En retard") >= 1
    assert "Dans les temps" in html or "Bientôt en retard" in html


def test_an_action_through_htmx_refreshes_the_clocks_too(app, world):
    ticket = new_ticket(world, now=utcnow())
    client = signed_in(app, world.supplier_user)
    html = _page(client, ticket)
    tomorrow = (utcnow() + timedelta(days=2)).astimezone(BRU)
    response = client.post(
        f"/demandes/{ticket.reference}/actions/plan",
        data={
            "csrf_token": extract_csrf(html),
            "plan-version": str(ticket.version),
            "plan-planned_date": tomorrow.date().isoformat(),
            "plan-planned_time": "10:00",
            "plan-confirm_weekend": "y",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<section id="ticket-clocks" class="panel ticket-clocks"' in html
    part = html[html.index('<section id="ticket-clocks"') :]
    assert 'hx-swap-oob="true"' in part.split(">", 1)[0]
    assert "Délai respecté" in part
