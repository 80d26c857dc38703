"""The dev mailbox: messages sent without an SMTP server are kept and readable."""

from __future__ import annotations

from app.devmail import mailbox
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.notify.jobs import send_outbox_message
from tests.support.web import csrf_token


def _message(
    subject="Invitation à Relais",
    html="<p>Bonjour <a href='https://x.example.com/i/1'>lien</a></p>",
):
    message = OutboxMessage(
        kind="test",
        recipient="prof@ecole.example.com",
        subject=subject,
        body_text="Bonjour,\nOuvrez https://relais.example.com/inscription/abc pour continuer.",
        body_html=html,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_sent_message_lands_in_the_mailbox(app):
    message = _message()
    assert send_outbox_message(message.id) == "sent"
    db.session.refresh(message)
    assert message.status == OutboxStatus.SENT
    stored = mailbox.messages()
    assert len(stored) == 1
    assert stored[0].subject == "Invitation à Relais"
    assert stored[0].recipients == "prof@ecole.example.com"


def test_mailbox_pages(client):
    _message()
    send_outbox_message(1)
    index = client.get("/dev/mailbox/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "Invitation à Relais" in html
    key = mailbox.messages()[0].key
    page = client.get(f"/dev/mailbox/{key}").get_data(as_text=True)
    # Links of the text part are clickable, and the HTML part is framed from its own URL.
    assert '<a href="https://relais.example.com/inscription/abc">' in page
    assert f'src="/dev/mailbox/{key}/html"' in page
    part = client.get(f"/dev/mailbox/{key}/html")
    assert part.status_code == 200
    assert "sandbox" in part.headers["Content-Security-Policy"]
    assert "<p>Bonjour" in part.get_data(as_text=True)


def test_text_part_is_escaped(client):
    message = OutboxMessage(
        kind="test",
        recipient="a@example.com",
        subject="<b>x</b>",
        body_text="<script>alert(1)</script> https://x.example.com/?a=<b>",
        body_html=None,
    )
    db.session.add(message)
    db.session.commit()
    send_outbox_message(message.id)
    key = mailbox.messages()[0].key
    page = client.get(f"/dev/mailbox/{key}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<b>x</b>" not in page
    assert client.get(f"/dev/mailbox/{key}/html").status_code == 404


def test_unknown_or_traversing_keys_are_404(client):
    assert client.get("/dev/mailbox/20260101T000000000000-abcdef").status_code == 404
    assert client.get("/dev/mailbox/..%2f..%2fetc%2fpasswd").status_code == 404
    # Longer than a file name may be: not a message either (it was an OSError, a 500).
    assert client.get("/dev/mailbox/" + "x" * 300).status_code == 404
    assert client.get("/dev/mailbox/" + "x" * 300 + "/html").status_code == 404


def test_clear_needs_post_and_csrf(client):
    _message()
    send_outbox_message(1)
    assert client.post("/dev/mailbox/vider").status_code == 400
    assert len(mailbox.messages()) == 1
    client.post("/dev/mailbox/vider", data={"csrf_token": csrf_token(client, "/dev/mailbox/")})
    assert mailbox.messages() == []


def test_links_of_the_html_part_open_the_whole_tab(client):
    """Relais refuses to be framed: a link of the part must not open inside the frame."""
    _message(
        html="<!doctype html><html lang='fr'><head><title>x</title></head><body><a href='https://x.example.com/'>lien</a></body></html>"
    )
    send_outbox_message(1)
    key = mailbox.messages()[0].key
    part = client.get(f"/dev/mailbox/{key}/html").get_data(as_text=True)
    assert part.startswith("<!doctype html><html lang='fr'><head><base target=\"_top\"><title>")
    _message(html="<p>Sans en-tête <a href='https://x.example.com/'>lien</a></p>")
    send_outbox_message(2)
    key = mailbox.messages()[0].key
    part = client.get(f"/dev/mailbox/{key}/html").get_data(as_text=True)
    assert part.startswith('<base target="_top"><p>Sans en-tête')
