"""The IMAP poller against a real IMAP server (dovecot on a loopback port of its own): each
message ingested once, moved to « Traités » only after the commit."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from app.extensions import db
from app.mail_in.imap import poll_mailbox
from app.mail_in.ingest import ingest
from app.models import InboundMail, TicketEvent
from app.tickets.events import EventKind
from tests.mail_in import corpus
from tests.support.environment import drain_queue
from tests.support.imap import Dovecot
from tests.support.tickets import build_world

TEACHER = "claire@ecole.example.com"


@pytest.fixture
def dovecot():
    # Not pytest's tmp_path: dovecot's own users must reach the mail store.
    root = Path(tempfile.mkdtemp(prefix="relais-imap-"))
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mail_app(make_app, smtp_server, dovecot):
    app = make_app(**corpus.mail_settings(smtp_server), **dovecot.settings())
    with app.app_context():
        yield app


def _client(dovecot) -> IMAPClient:
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    client.login(dovecot.user, dovecot.password)
    return client


def _folder_sizes(dovecot) -> dict[str, int]:
    with _client(dovecot) as client:
        return {
            name: client.folder_status(name, ["MESSAGES"])[b"MESSAGES"]
            for name in ("INBOX", "Traités")
            if client.folder_exists(name)
        }


def _append(dovecot, *messages: bytes) -> None:
    with _client(dovecot) as client:
        for raw in messages:
            client.append("INBOX", raw)


def _comments(ticket_id: int) -> list[str]:
    return db.session.scalars(
        select(TicketEvent.body).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.COMMENT
        )
    ).all()


def test_the_mailbox_is_read_once_and_emptied_into_traites(mail_app, smtp_server, dovecot):
    world = build_world()
    ticket = world.new_ticket()
    drain_queue(mail_app)
    sent = corpus.sent_to(smtp_server, TEACHER)
    reply = corpus.reply(sent, TEACHER, "Le PC redémarre.")
    _append(
        dovecot,
        reply,
        reply,  # the same message delivered twice
        corpus.reply(
            sent,
            TEACHER,
            "Absente.",
            extra={"Auto-Submitted": "auto-replied"},
            message_id="<ooo@ecole.example.com>",
        ),
        corpus.delivery_report(sent),
        corpus.reply(
            sent,
            "inconnu@example.com",
            "Bonjour",
            threaded=False,
            subject="Ma panne",
            to="support@relais.example.com",
            message_id="<u@example.com>",
        ),
    )
    counts = poll_mailbox()
    print(f"\n[IMAP] ingested by outcome: {counts}")
    assert counts == {"comment": 1, "duplicate": 1, "ignored": 1, "bounce": 1, "to_sort": 1}
    assert _comments(ticket.id) == ["Le PC redémarre."]
    assert _folder_sizes(dovecot) == {"INBOX": 0, "Traités": 5}
    assert db.session.scalar(select(func.count()).select_from(InboundMail)) == 4
    # A second poll finds nothing left.
    assert poll_mailbox() == {}


def test_a_message_committed_but_not_moved_is_moved_on_the_next_poll(
    mail_app, smtp_server, dovecot
):
    """The poller died between the commit and the move: the re-fetch changes nothing."""
    world = build_world()
    ticket = world.new_ticket()
    drain_queue(mail_app)
    reply = corpus.reply(corpus.sent_to(smtp_server, TEACHER), TEACHER, "Réparé.")
    ingest(reply)  # the commit happened, the move did not
    _append(dovecot, reply)
    assert poll_mailbox() == {"duplicate": 1}
    assert _comments(ticket.id) == ["Réparé."]
    assert _folder_sizes(dovecot) == {"INBOX": 0, "Traités": 1}


def test_a_database_down_leaves_the_messages_in_the_mailbox(
    make_app, smtp_server, dovecot, tmp_path
):
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no-such-directory/relais.db",
        **corpus.mail_settings(smtp_server),
        **dovecot.settings(),
    )
    _append(dovecot, b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <x@e.com>\r\n\r\nTexte\r\n")
    with app.app_context():
        assert poll_mailbox() == {"left": 1}
    assert _folder_sizes(dovecot) == {"INBOX": 1, "Traités": 0}


def test_without_a_mailbox_configured_the_job_does_nothing(make_app):
    app = make_app(RELAIS_IMAP_HOST=None)
    with app.app_context():
        assert poll_mailbox() == {}
