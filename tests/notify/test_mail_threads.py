"""Ticket mails thread in mail clients and carry a reply address signed for their reader."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.notify.threads import reply_address, ticket_of_reply_address
from app.tickets.service import add_comment
from tests.support.environment import drain_queue
from tests.support.tickets import build_world, later


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        RELAIS_DIGEST_SECONDS=0,
        RELAIS_REPLY_TO="Équipe EN <support@relais.example.com>",
        RELAIS_MAIL_DOMAIN="relais.example.com",
    )
    with app.app_context():
        yield app


def test_a_tickets_mails_thread_under_its_first_one(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    add_comment(world.supplier_user, ticket.id, "Je passe demain.", now=later(5))
    drain_queue(mail_app)
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
    ).all()
    assert len(rows) >= 2
    assert all(row.status == OutboxStatus.SENT for row in rows)
    root = rows[0].message_id
    assert root.endswith("@relais.example.com>")
    by_id = {got["message"]["Message-ID"].strip(): got for got in smtp_server.messages}
    assert set(by_id) == {row.message_id for row in rows}  # what was sent is what is kept
    for row in rows:
        message = by_id[row.message_id]["message"]
        assert row.thread_id == root
        if row.message_id == root:
            assert message["In-Reply-To"] is None
        else:
            assert message["In-Reply-To"].strip() == root
            assert message["References"].strip() == root
        # The reply address names the ticket, signed for this reader.
        reply_to = message["Reply-To"].addresses[0].addr_spec
        assert reply_to == reply_address(ticket.id, row.recipient)
        assert reply_to.startswith(f"support+t{ticket.id}.")
        assert reply_to.endswith("@relais.example.com")
        assert ticket_of_reply_address(reply_to, row.recipient) == ticket.id
        # A client or server that changes the case keeps it valid.
        assert ticket_of_reply_address(reply_to.upper(), row.recipient.upper()) == ticket.id


def test_a_reply_address_is_only_good_for_its_reader_and_ticket(mail_app):
    address = reply_address(42, "claire@ecole.example.com")
    assert ticket_of_reply_address(address, "claire@ecole.example.com") == 42
    assert ticket_of_reply_address(address, "intrus@example.com") is None
    forged = address.replace("+t42.", "+t43.")
    assert ticket_of_reply_address(forged, "claire@ecole.example.com") is None
    assert ticket_of_reply_address("support@relais.example.com", "claire@ecole.example.com") is None
    assert ticket_of_reply_address("other+t42.x@relais.example.com", "x@y.z") is None


def test_without_a_reply_address_configured_there_is_none(make_app):
    app = make_app(RELAIS_REPLY_TO=None)
    with app.app_context():
        assert reply_address(1, "claire@ecole.example.com") is None
        assert ticket_of_reply_address("support+t1.abc@relais.example.com", "a@b.c") is None
