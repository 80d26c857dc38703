"""`flask mail receive`, as a mail server's pipe delivery runs it: one message on standard input,
an exit code the server understands."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import InboundMail, TicketEvent
from app.tickets.events import EventKind
from tests.mail_in import corpus
from tests.support.environment import drain_queue
from tests.support.services import BIN, ROOT, service_env
from tests.support.tickets import build_world

TEACHER = "claire@ecole.example.com"


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(**corpus.mail_settings(smtp_server))
    with app.app_context():
        yield app


def _receive(app, raw: bytes, **env) -> subprocess.CompletedProcess:
    settings = {
        "SECRET_KEY": app.config["SECRET_KEY"],
        "RELAIS_REPLY_TO": app.config["RELAIS_REPLY_TO"],
        "RELAIS_MAIL_DOMAIN": app.config["RELAIS_MAIL_DOMAIN"],
        "RELAIS_DIGEST_SECONDS": "0",
    }
    return subprocess.run(
        [str(BIN / "flask"), "mail", "receive"],
        input=raw,
        cwd=ROOT,
        env=service_env(app, **(settings | env)),
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_piped_reply_becomes_a_comment_once(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    drain_queue(mail_app)
    raw = corpus.reply(corpus.sent_to(smtp_server, TEACHER), TEACHER, "Le PC redémarre.")
    first = _receive(mail_app, raw)
    assert first.returncode == 0, first.stderr.decode()
    again = _receive(mail_app, raw)
    assert again.returncode == 0, again.stderr.decode()
    assert b"d\xc3\xa9j\xc3\xa0 re\xc3\xa7u" in again.stdout  # « déjà reçu »
    db.session.expire_all()
    comments = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.COMMENT
        )
    ).all()
    assert [c.body for c in comments] == ["Le PC redémarre."]
    assert comments[0].actor_id == world.teacher.id


def test_what_is_no_mail_is_a_data_error(mail_app):
    assert _receive(mail_app, b"").returncode == 65
    assert _receive(mail_app, b"\x00\x01 binary junk\n").returncode == 65
    assert db.session.scalar(select(func.count()).select_from(InboundMail)) == 0


def test_an_unreachable_database_asks_the_server_to_try_again(mail_app, tmp_path):
    raw = b"From: a@example.com\r\nSubject: Bonjour\r\nMessage-ID: <x@example.com>\r\n\r\nTexte\r\n"
    missing = f"sqlite:///{tmp_path}/no-such-directory/relais.db"
    result = _receive(mail_app, raw, DATABASE_URL=missing)
    assert result.returncode == 75, result.stderr.decode()
