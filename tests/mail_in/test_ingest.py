"""One ingestion for received mail: replies become comments, once; machines are never answered;
bounces fail their outbox message; the rest waits « à trier »."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.mail_in.ingest import Reason, ingest
from app.models import (
    Attachment,
    InboundMail,
    InboundOutcome,
    OutboxMessage,
    OutboxStatus,
    TicketEvent,
    TicketPause,
)
from app.tickets.display import actor_name
from app.tickets.events import EventKind
from app.tickets.service import ask_school
from tests.mail_in import corpus
from tests.support.environment import drain_queue
from tests.support.tickets import build_world, later
from tests.support.web import signed_in

TEACHER = "claire@ecole.example.com"


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(**corpus.mail_settings(smtp_server))
    with app.app_context():
        yield app


@pytest.fixture
def opened(mail_app, smtp_server):
    """A ticket, its opening mails sent; (world, ticket, the mail the teacher got)."""
    world = build_world()
    ticket = world.new_ticket()
    drain_queue(mail_app)
    return world, ticket, corpus.sent_to(smtp_server, TEACHER)


def _comments(ticket_id: int) -> list[TicketEvent]:
    return db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.COMMENT)
        .order_by(TicketEvent.id)
    ).all()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_reply_becomes_the_senders_comment_once(mail_app, opened):
    world, ticket, sent = opened
    raw = corpus.reply(sent, "Claire Dumont <Claire@Ecole.example.com>", "Le PC redémarre.")
    received = ingest(raw)
    assert (received.outcome, received.reason) == (InboundOutcome.COMMENT, Reason.REPLY)
    [comment] = _comments(ticket.id)
    assert comment.id == received.event_id
    assert comment.actor_id == world.teacher.id
    assert comment.body == "Le PC redémarre."  # the quoted history is gone
    assert not comment.internal
    assert actor_name(comment) == "Claire Dumont (par e-mail)"
    # Its notices leave as for any comment: the supplier hears of it.
    assert db.session.scalar(select(func.count()).where(OutboxMessage.event_id == comment.id)) >= 1
    # The same message delivered again changes nothing.
    outbox_before = _count(OutboxMessage)
    again = ingest(raw)
    assert again.duplicate
    assert again.event_id == comment.id
    assert len(_comments(ticket.id)) == 1
    assert _count(InboundMail) == 1
    assert _count(OutboxMessage) == outbox_before


@pytest.mark.parametrize(
    ("template", "text"),
    [
        (corpus.OUTLOOK_FR, "Oui, le tableau est libre jeudi."),
        (corpus.GERMAN, "Ja, Donnerstag passt."),
    ],
)
def test_quoted_history_of_the_usual_clients_is_cut(mail_app, opened, template, text):
    _, ticket, sent = opened
    ingest(corpus.reply(sent, TEACHER, text, template=template))
    [comment] = _comments(ticket.id)
    assert comment.body.startswith(text)
    assert "Message d'origine" not in comment.body
    assert "schrieb" not in comment.body
    assert "Une question" not in comment.body


def test_windows_1252_and_html_only_mail_read_as_text(mail_app, opened):
    _, ticket, sent = opened
    ingest(corpus.reply(sent, TEACHER, "Réparé, merci ; à bientôt.", charset="cp1252"))
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        "<body><p>Écran <b>rallumé</b> &amp; testé.</p></body></html>"
    )
    ingest(corpus.html_only(sent, TEACHER, html))
    first, second = _comments(ticket.id)
    assert first.body == "Réparé, merci ; à bientôt."
    assert second.body == "Écran rallumé & testé."


def test_attachments_go_through_the_upload_checks(mail_app, opened):
    _, ticket, sent = opened
    files = [
        ("photo.png", "image/png", corpus.png()),
        ("virus.exe", "application/octet-stream", b"MZ\x90\x00" * 10),
    ]
    received = ingest(corpus.reply(sent, TEACHER, "Voici une photo.", files=files))
    [attachment] = db.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id)
    ).all()
    assert attachment.event_id == received.event_id
    assert attachment.content_type == "image/png"
    row = db.session.scalar(select(InboundMail))
    assert "virus" in row.detail


def test_a_contact_without_an_account_answers_a_question(mail_app, opened, smtp_server):
    world, ticket, _ = opened
    ticket.contact_email, ticket.contact_user_id = "parent@ecole.example.com", None
    ticket.contact_name = "Marc Lenoir"
    db.session.commit()
    ask_school(world.assistant, ticket.id, "Le local est-il accessible jeudi ?", now=later(30))
    drain_queue(mail_app)
    question = corpus.sent_to(smtp_server, "parent@ecole.example.com")
    # The question says that a reply is enough.
    assert "Répondez simplement à ce message" in question.get_body(("plain",)).get_content()
    assert "Répondez simplement à ce message" in question.get_body(("html",)).get_content()
    received = ingest(corpus.reply(question, "parent@ecole.example.com", "Oui, dès 8 h."))
    assert received.outcome == InboundOutcome.COMMENT
    comment = db.session.get(TicketEvent, received.event_id)
    assert comment.actor_id is None
    assert actor_name(comment) == "Marc Lenoir (par e-mail)"
    # The answer resumes the clocks, as a comment in Relais does.
    pause = db.session.scalar(select(TicketPause).where(TicketPause.ticket_id == ticket.id))
    assert pause.ended_at is not None
    assert (
        db.session.scalar(
            select(func.count()).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.RESUME
            )
        )
        == 1
    )


def test_a_participant_replying_in_the_thread_comments(mail_app, opened, smtp_server):
    world, _ticket, _ = opened
    to_supplier = corpus.sent_to(smtp_server, "support@meuse.example.com")
    raw = corpus.reply(
        to_supplier, "julie@meuse.example.com", "Je passe demain.", to="support@relais.example.com"
    )
    received = ingest(raw)
    assert received.outcome == InboundOutcome.COMMENT
    assert db.session.get(TicketEvent, received.event_id).actor_id == world.supplier_user.id


def test_a_forwarded_reply_address_is_not_its_readers(mail_app, opened):
    _, ticket, sent = opened
    raw = corpus.reply(sent, "intrus@example.com", "Fermez la demande.")
    received = ingest(raw)
    assert (received.outcome, received.reason) == (InboundOutcome.TO_SORT, Reason.NOT_ALLOWED)
    assert received.ticket_id == ticket.id
    assert _comments(ticket.id) == []


def test_the_subject_reference_needs_one_of_the_tickets_people(mail_app, opened):
    _world, ticket, sent = opened
    subject = f"Re: [{ticket.reference}] à propos"
    stranger = corpus.reply(
        sent,
        "intrus@example.com",
        "Bonjour",
        threaded=False,
        subject=subject,
        to="support@relais.example.com",
        message_id="<s-1@example.com>",
    )
    assert ingest(stranger).reason == Reason.NOT_ALLOWED
    teacher = corpus.reply(
        sent,
        TEACHER,
        "Toujours en panne.",
        threaded=False,
        subject=subject,
        to="support@relais.example.com",
        message_id="<s-2@example.com>",
    )
    assert ingest(teacher).outcome == InboundOutcome.COMMENT
    unknown = corpus.reply(
        sent,
        "inconnu@example.com",
        "Bonjour",
        threaded=False,
        subject="Une question",
        to="support@relais.example.com",
        message_id="<s-3@example.com>",
    )
    assert ingest(unknown).reason == Reason.UNKNOWN_SENDER
    known = corpus.reply(
        sent,
        TEACHER,
        "Bonjour",
        threaded=False,
        subject="Une autre panne",
        to="support@relais.example.com",
        message_id="<s-4@example.com>",
    )
    assert ingest(known).reason == Reason.NOT_RECOGNISED
    assert len(_comments(ticket.id)) == 1


@pytest.mark.parametrize(
    ("extra", "subject", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, Reason.AUTO_REPLY),
        ({"X-Autoreply": "yes"}, None, Reason.AUTO_REPLY),
        ({"Precedence": "bulk"}, None, Reason.AUTO_REPLY),
        ({}, "Réponse automatique : absente jusqu’au 10 mars", Reason.AUTO_REPLY),
        ({}, "Abwesenheitsnotiz: Urlaub", Reason.AUTO_REPLY),
        ({"List-Id": "<ecoles.lists.example.com>"}, None, Reason.LIST),
    ],
)
def test_machines_are_never_answered_nor_comments(mail_app, opened, extra, subject, reason):
    _, ticket, sent = opened
    outbox_before = _count(OutboxMessage)
    raw = corpus.reply(sent, TEACHER, "Je suis absente.", extra=extra, subject=subject)
    received = ingest(raw)
    assert (received.outcome, received.reason) == (InboundOutcome.IGNORED, reason)
    assert _comments(ticket.id) == []
    assert _count(OutboxMessage) == outbox_before


def test_a_delivery_report_fails_its_outbox_message(mail_app, opened):
    _, ticket, sent = opened
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id == corpus.header(sent, "Message-ID"))
    )
    assert row.status == OutboxStatus.SENT
    outbox_before = _count(OutboxMessage)
    received = ingest(corpus.delivery_report(sent))
    assert received.outcome == InboundOutcome.BOUNCE
    db.session.refresh(row)
    assert row.status == OutboxStatus.FAILED
    assert "User unknown" in row.last_error
    assert received.ticket_id == ticket.id
    assert _count(OutboxMessage) == outbox_before  # never answered
    assert ingest(corpus.delivery_report(sent)).duplicate


def test_a_delayed_delivery_report_fails_nothing(mail_app, opened):
    _, _, sent = opened
    received = ingest(corpus.delivery_report(sent, action="delayed"))
    assert received.outcome == InboundOutcome.BOUNCE
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id == corpus.header(sent, "Message-ID"))
    )
    assert row.status == OutboxStatus.SENT


def test_a_message_without_message_id_is_recorded_by_its_bytes(mail_app, opened):
    _, ticket, sent = opened
    raw = corpus.reply(sent, TEACHER, "Sans identifiant.", message_id=None)
    first, second = ingest(raw), ingest(raw)
    assert first.key.startswith("sha256:")
    assert second.duplicate
    assert len(_comments(ticket.id)) == 1


def test_unreadable_and_oversized_mail_waits_to_be_sorted(make_app, smtp_server):
    app = make_app(RELAIS_MAIL_IN_MAX_BYTES=2000, **corpus.mail_settings(smtp_server))
    with app.app_context():
        big = b"From: a@example.com\r\nSubject: gros\r\n\r\n" + b"x" * 3000
        assert ingest(big).reason == Reason.TOO_LARGE
        hostile = (
            b"From: =?utf-8?q?\xff\xfe?= <<<@@>>\r\nSubject: \xff\r\n"
            b"Content-Type: multipart/mixed\r\n\r\n\x00\x01"
        )
        received = ingest(hostile)
        assert received.outcome == InboundOutcome.TO_SORT
        assert _count(InboundMail) == 2


def test_the_to_sort_page_lists_them_for_the_en_team(mail_app, opened):
    world, _, sent = opened
    ingest(corpus.reply(sent, "intrus@example.com", "Bonjour", subject="Ma panne à moi"))
    staff = signed_in(mail_app, world.assistant)
    page = staff.get("/courrier/a-trier")
    assert page.status_code == 200
    assert "Ma panne à moi" in page.get_data(as_text=True)
    assert "intrus@example.com" in page.get_data(as_text=True)
    teacher = signed_in(mail_app, world.teacher)
    assert teacher.get("/courrier/a-trier").status_code == 403


def test_the_null_sender_is_a_machine(mail_app, opened):
    _, ticket, sent = opened
    raw = corpus.reply(sent, TEACHER, "Notification", extra={"Return-Path": "<>"})
    assert ingest(raw).reason == Reason.NULL_SENDER
    assert _comments(ticket.id) == []


def test_two_deliveries_racing_make_one_comment(mail_app, opened, monkeypatch):
    """The second delivery looked before the first committed: the unique key stops it."""
    from app.mail_in import ingest as ingestion

    _, ticket, sent = opened
    raw = corpus.reply(sent, TEACHER, "En même temps.")
    first = ingest(raw)
    looked = ingestion._seen
    calls = []

    def not_yet_committed(key):
        calls.append(key)
        return None if len(calls) == 1 else looked(key)

    monkeypatch.setattr(ingestion, "_seen", not_yet_committed)
    second = ingest(raw)
    assert second.duplicate
    assert second.event_id == first.event_id
    assert len(_comments(ticket.id)) == 1
