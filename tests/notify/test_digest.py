"""The digest window: changes made together on one ticket reach each person as one message.

The tests drive time themselves: each change is made at an instant they choose and the send jobs
run as their delayed start would, at the instants they choose. Those instants lie in the future
(a Tuesday more than a year ahead) because a real queue, or the embedded mode that runs each job
at once, must find nothing due on the real clock before the test says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.jobs import send_outbox_message
from app.notify.outbox import dispatch, queue_message
from app.tickets.service import ActionInput, NewTicket, add_comment, apply_action, create_ticket
from app.tickets.workflow import Action
from tests.support.environment import drain_queue
from tests.support.tickets import build_world


def _a_future_tuesday() -> datetime:
    day = (utcnow() + timedelta(days=400)).date()
    while day.weekday() != 1:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


T0 = _a_future_tuesday()
TEACHER = "claire@ecole.example.com"
SUPPLIER_REF = "support@meuse.example.com"
ASSISTANT = "quentin@relais.example.com"
COORDINATOR = "olivier@relais.example.com"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def digest_app(make_app, smtp_server):
    app = make_app(
        MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, RELAIS_DIGEST_SECONDS=60
    )
    with app.app_context():
        yield app


def _new_ticket(world, now):
    data = NewTicket(
        request_type_id=world.request_type.id,
        summary="Écran interactif ne s’allume plus",
        description="Diagnostic : alimentation HS.",
        site_id=world.site.id,
        contact_name=world.teacher.full_name,
        contact_phone="+3281123456",
        contact_email=world.teacher.email,
        equipment_serial="SN-000123",
        equipment_description="Lot 01 - Écran interactif",
        supplier_id=world.supplier.id,
    )
    return create_ticket(world.assistant, data, now=now)


def _plan(world, ticket, now):
    values = ActionInput(planned_at=now + timedelta(days=1, hours=1))
    return apply_action(world.supplier_user, ticket.id, Action.PLAN, values, now=now).ticket


def run_due(now: datetime) -> None:
    """The waiting messages' jobs, run at `now` in the order they were queued."""
    db.session.expire_all()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
    ).all()
    for message_id in ids:
        send_outbox_message(message_id, now=now)


def received(smtp_server) -> dict[str, list]:
    """The messages the server got since the last call, by recipient."""
    got: dict[str, list] = {}
    for item in smtp_server.messages:
        [to] = item["to"]
        got.setdefault(to, []).append(item["message"])
    smtp_server.messages.clear()
    return got


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_changes_within_the_window_make_one_message_per_person(digest_app, smtp_server):
    world = build_world()
    ticket = _new_ticket(world, at(0))
    _plan(world, ticket, at(10))
    add_comment(world.supplier_user, ticket.id, "Je passe demain avec la pièce.", now=at(20))

    run_due(at(59))
    assert received(smtp_server) == {}  # nobody's window has closed yet

    # The teacher's and the company's windows opened with the creation, at T0.
    run_due(at(60))
    got = received(smtp_server)
    assert sorted(got) == [TEACHER, SUPPLIER_REF]
    [teacher_mail] = got[TEACHER]
    # Named after the creation, the mail that gives the reference (not « 3 changements »).
    assert teacher_mail["Subject"] == (
        f"[{ticket.reference}] Nouvelle demande — {ticket.summary} (+2 changements)"
    )
    text = _text(teacher_mail)
    assert "3 changements sur la demande" in text
    created = text.index("Votre demande a été enregistrée sous la référence")
    planned = text.index("Intervention prévue le")
    comment = text.index("Je passe demain avec la pièce.")
    assert created < planned < comment
    assert "Je passe demain" in teacher_mail.get_body(("html",)).get_content()
    # The planned visit's invitation goes along.
    [calendar] = [p for p in teacher_mail.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    [supplier_mail] = got[SUPPLIER_REF]
    # The assignment, which always goes, is recognised by its subject.
    assert supplier_mail["Subject"] == (
        f"[{ticket.reference}] Nouvelle demande — {ticket.summary} (+1 changement)"
    )
    assert "Une nouvelle demande est attribuée à votre société." in _text(supplier_mail)

    # Every row of the teacher's digest is sent, gathered under the first one.
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == TEACHER).order_by(OutboxMessage.id)
    ).all()
    assert len(rows) == 3
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert [row.merged_into_id for row in rows] == [None, rows[0].id, rows[0].id]
    assert teacher_mail["X-Relais-Message"] == str(rows[0].id)

    # The assistant's and the coordinator's windows opened with the plan, ten seconds later.
    run_due(at(70))
    got = received(smtp_server)
    assert sorted(got) == [COORDINATOR, ASSISTANT]
    [assistant_mail] = got[ASSISTANT]
    assert assistant_mail["Subject"].startswith(f"[{ticket.reference}] Intervention prévue le")
    assert assistant_mail["Subject"].endswith(f"— {ticket.summary} (+1 changement)")
    [coordinator_mail] = got[COORDINATOR]
    assert coordinator_mail["Subject"].startswith(f"[{ticket.reference}] Intervention prévue")

    # A change after the window: a message of its own, one window later.
    add_comment(world.supplier_user, ticket.id, "Finalement jeudi.", now=at(300))
    run_due(at(359))
    assert received(smtp_server) == {}
    run_due(at(360))
    got = received(smtp_server)
    assert sorted(got) == [TEACHER, ASSISTANT, SUPPLIER_REF]
    for [mail] in got.values():
        assert "Nouveau commentaire" in mail["Subject"]
        assert "changements" not in mail["Subject"]
        assert "Finalement jeudi." in _text(mail)


def test_the_approval_request_is_in_the_digest(digest_app, smtp_server):
    world = build_world()
    ticket = _new_ticket(world, at(0))
    run_due(at(60))
    received(smtp_server)

    ticket = _plan(world, ticket, at(120))
    values = ActionInput(summary="Alimentation remplacée.")
    apply_action(world.supplier_user, ticket.id, Action.FINISH, values, now=at(150))
    run_due(at(180))
    got = received(smtp_server)
    [teacher_mail] = got[TEACHER]
    assert teacher_mail["Subject"] == (
        f"[{ticket.reference}] Intervention terminée : 1 approbation nécessaire"
        f" — {ticket.summary} (+1 changement)"
    )
    text = _text(teacher_mail)
    assert "Merci de vérifier que le problème est résolu" in text
    assert "Alimentation remplacée." in text
    assert "http://relais.test/reponse/" in text  # the answer links of the approval request
    # A message asking for the approval cannot be switched off: the footer does not offer it.
    assert "couper ses notifications" not in text
    assert "Merci de vérifier" in teacher_mail.get_body(("html",)).get_content()

    [assistant_mail] = got[ASSISTANT]
    assert assistant_mail["Subject"].startswith(
        f"[{ticket.reference}] Intervention terminée : 1 approbation nécessaire"
    )
    assert "Intervention terminée : 1 approbation nécessaire" in _text(assistant_mail)
    assert "Merci de vérifier" not in _text(assistant_mail)
    assert "/reponse/" not in _text(assistant_mail)


def test_without_a_window_each_change_is_its_own_message(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)  # window 0
    with app.app_context():
        world = build_world()
        ticket = _new_ticket(world, at(0))
        add_comment(world.supplier_user, ticket.id, "Premier.", now=at(1))
        add_comment(world.supplier_user, ticket.id, "Second.", now=at(2))
        assert db.session.scalar(select(OutboxMessage.send_after).limit(1)) is None
        drain_queue(app)
        got = received(smtp_server)
        assert len(got[TEACHER]) == 3
        assert not any("changements" in mail["Subject"] for mail in got[TEACHER])


def test_messages_without_a_ticket_leave_at_once(digest_app, run_jobs, smtp_server):
    digest_app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader({"mail/test_message.txt": "Bonjour", "mail/test_message.html": "<p>B</p>"}),
            digest_app.jinja_env.loader,
        ]
    )
    message = queue_message("invitation", "nouveau@ecole.example.com", "Bienvenue", "test_message")
    db.session.commit()
    assert message.send_after is None
    dispatch([message])
    run_jobs()
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT
    assert [item["to"] for item in smtp_server.messages] == [["nouveau@ecole.example.com"]]
