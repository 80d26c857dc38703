"""What a ticket's mails say, as delivered to a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from app.tickets.service import ActionInput, add_comment, apply_action
from app.tickets.workflow import Action
from tests.support.environment import drain_queue
from tests.support.tickets import build_world, later

TEACHER = "claire@ecole.example.com"
SUPPLIER_REF = "support@meuse.example.com"
OTHER_REF = "support@brabant.example.com"


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _texts(app, smtp_server) -> dict[str, str]:
    """The plain-text body each recipient received since the last call."""
    drain_queue(app)
    got = {}
    for item in smtp_server.messages:
        [to] = item["to"]
        got[to] = item["message"].get_body(("plain",)).get_content().replace("\r\n", "\n")
    smtp_server.messages.clear()
    return got


def test_the_assignment_mail_carries_the_diagnosis_and_greets_the_company_politely(
    mail_app, smtp_server
):
    world = build_world()
    ticket = world.new_ticket(description="L’écran reste noir, la LED clignote en orange.")
    text = _texts(mail_app, smtp_server)[SUPPLIER_REF]
    assert text.startswith("Bonjour,\n")
    assert "Meuse Informatique," not in text
    assert "Diagnostic :\nL’écran reste noir, la LED clignote en orange." in text

    # The same when a coordinator gives the ticket to another company.
    apply_action(
        world.coordinator,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        now=later(5),
    )
    text = _texts(mail_app, smtp_server)[OTHER_REF]
    assert text.startswith("Bonjour,\n")
    assert "L’écran reste noir, la LED clignote en orange." in text


def test_the_actor_is_named_once(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    _texts(mail_app, smtp_server)
    add_comment(world.assistant, ticket.id, "La pièce est commandée.", now=later(5))
    text = _texts(mail_app, smtp_server)[SUPPLIER_REF]
    name = world.assistant.full_name
    assert f"Nouveau commentaire de {name}." in text
    assert text.count(name) == 1
