"""Who receives each event's mail, as delivered to a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.tickets.service import ActionInput, add_comment, apply_action, set_notifications
from app.tickets.workflow import Action
from tests.support.environment import drain_queue
from tests.support.tickets import TOMORROW_10H, build_world, later

TEACHER = "claire@ecole.example.com"
ASSISTANT = "quentin@relais.example.com"
COORDINATOR = "olivier@relais.example.com"
SUPPLIER_REF = "support@meuse.example.com"
OTHER_REF = "support@brabant.example.com"
SECONDARY = {"julie@meuse.example.com", "thomas@meuse.example.com"}


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _delivered(app, smtp_server, tag):
    """Recipients of the messages whose subject carries `tag`, delivered since the last call."""
    drain_queue(app)
    got = [m for m in smtp_server.messages if tag in m["message"]["Subject"]]
    smtp_server.messages.clear()
    recipients = sorted(r for m in got for r in m["to"])
    assert len(recipients) == len(set(recipients)), "one message per person per event"
    assert not SECONDARY & set(recipients), "a supplier's secondary users get nothing"
    return recipients


def test_each_event_reaches_exactly_its_people(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    assert _delivered(mail_app, smtp_server, "Nouvelle demande") == [TEACHER, SUPPLIER_REF]

    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    ).ticket
    assert _delivered(mail_app, smtp_server, "Intervention prévue") == [
        TEACHER,
        COORDINATOR,
        ASSISTANT,
    ]
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.RESCHEDULE,
        ActionInput(planned_at=later(60 * 30)),
        now=later(6),
    ).ticket
    assert _delivered(mail_app, smtp_server, "replanifiée") == [TEACHER, COORDINATOR, ASSISTANT]

    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Alimentation remplacée."),
        now=later(60),
    ).ticket
    assert _delivered(mail_app, smtp_server, "1 approbation") == [TEACHER, COORDINATOR, ASSISTANT]

    ticket = apply_action(
        world.teacher, ticket.id, Action.REOPEN, ActionInput(reason="Toujours noir."), now=later(70)
    ).ticket
    assert _delivered(mail_app, smtp_server, "rouverte") == [COORDINATOR, ASSISTANT, SUPPLIER_REF]

    add_comment(world.supplier_user, ticket.id, "Je repasse jeudi.", now=later(71))
    # The actor is Julie; the company's shared reference mailbox is not her address: it is told.
    assert _delivered(mail_app, smtp_server, "commentaire") == [TEACHER, ASSISTANT, SUPPLIER_REF]

    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.SEND_BACK,
        ActionInput(reason="Pas notre lot."),
        now=later(80),
    ).ticket
    assert _delivered(mail_app, smtp_server, "renvoyée") == [COORDINATOR, ASSISTANT]

    ticket = apply_action(
        world.assistant,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        now=later(90),
    ).ticket
    # No visit was planned: the new company only (the assistant acted).
    assert _delivered(mail_app, smtp_server, "attribuée") == [OTHER_REF]

    ticket = apply_action(
        world.assistant,
        ticket.id,
        Action.CANCEL,
        ActionInput(reason="Doublon de TECH-9."),
        now=later(100),
    ).ticket
    assert _delivered(mail_app, smtp_server, "annulée") == [TEACHER, OTHER_REF]


def test_mute_is_respected_but_not_for_the_approval_request(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    set_notifications(world.teacher, ticket.id, False)
    _delivered(mail_app, smtp_server, "Nouvelle demande")
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    ).ticket
    assert TEACHER not in _delivered(mail_app, smtp_server, "Intervention prévue")
    apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary="Fait."), now=later(60)
    )
    assert TEACHER in _delivered(mail_app, smtp_server, "1 approbation")
    db.session.expire_all()
