"""Delivery through a real SMTP server on loopback."""

from __future__ import annotations

import smtplib

import pytest

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.notify.jobs import send_outbox_message
from tests.support.services import free_port


def _outbox(recipient):
    message = OutboxMessage(
        kind="test",
        recipient=recipient,
        subject="Demande TECH-1 : intervention prévue",
        body_text="L’intervention est prévue le 3 mars 2026 à 10:00.",
        body_html="<p>Prévue</p>",
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_message_reaches_the_smtp_server(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        message = _outbox("teacher@ecole.example.com")
        assert send_outbox_message(message.id) == "sent"
        db.session.refresh(message)
        assert message.status == OutboxStatus.SENT
        assert message.sent_at is not None
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert got["to"] == ["teacher@ecole.example.com"]
    assert got["message"]["Subject"] == "Demande TECH-1 : intervention prévue"
    assert got["message"]["Auto-Submitted"] == "auto-generated"
    assert "3 mars 2026" in got["message"].get_body(("plain",)).get_content()


def test_refused_address_is_a_permanent_failure(make_app, smtp_server):
    smtp_server.refuse.add("nobody@ecole.example.com")
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        message = _outbox("nobody@ecole.example.com")
        assert send_outbox_message(message.id) == "failed"
        db.session.refresh(message)
        assert message.status == OutboxStatus.FAILED
        assert "refusée" in message.last_error
    assert smtp_server.messages == []


def test_unreachable_server_leaves_the_message_pending(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with app.app_context():
        message = _outbox("teacher@ecole.example.com")
        with pytest.raises(ConnectionRefusedError):
            send_outbox_message(message.id)
        db.session.refresh(message)
        assert message.status == OutboxStatus.PENDING
        assert message.attempts == 1
        assert "ConnectionRefused" in message.last_error


def test_a_message_is_sent_once_even_if_the_job_runs_twice(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        message = _outbox("teacher@ecole.example.com")
        assert send_outbox_message(message.id) == "sent"
        assert send_outbox_message(message.id) == "already claimed"
    assert len(smtp_server.messages) == 1


class _Greylisting:
    """A server that answers "try again later" to every recipient."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "450 4.2.0 Greylisted, try again later"


def test_a_4xx_answer_is_transient(make_app):
    from aiosmtpd.controller import Controller

    controller = Controller(_Greylisting(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = make_app(MAIL_SERVER=controller.hostname, MAIL_PORT=controller.port)
        with app.app_context():
            message = _outbox("teacher@ecole.example.com")
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                send_outbox_message(message.id)
            db.session.refresh(message)
            assert message.status == OutboxStatus.PENDING
            assert "450" in message.last_error
    finally:
        controller.stop()


def test_a_folded_subject_keeps_every_space(make_app, smtp_server):
    """An accented word before « — » in a subject long enough to be folded: the space between
    them survives the trip through a real SMTP server (Flask-Mail's legacy folding ate it)."""
    subject = "[TECH-14] Nouveau commentaire de Quentin Delrée — Vidéoprojecteur"
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        message = _outbox("teacher@ecole.example.com")
        message.subject = subject
        db.session.commit()
        assert send_outbox_message(message.id) == "sent"
    got = smtp_server.messages[0]["message"]
    assert got["Subject"] == subject
    assert got.get_body(("plain",)).get_content().startswith("L’intervention est prévue")
