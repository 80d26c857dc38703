"""A ticket's « Notifications »: who was notified of what, when — as each person may see it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import OutboxMessage, TicketEvent
from app.models.types import utcnow
from app.tickets.service import ActionInput, add_comment, apply_action
from app.tickets.workflow import Action
from tests.support.environment import drain_queue
from tests.support.tickets import later, ticket_in
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}
TEACHER = "claire@ecole.example.com"
ASSISTANT = "quentin@relais.example.com"
COORDINATOR = "olivier@relais.example.com"
MEUSE = "support@meuse.example.com"
BRABANT = "support@brabant.example.com"


def section(client, ticket) -> str:
    response = client.get(f"/demandes/{ticket.reference}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html.split('<section id="ticket-notified"')[1].split("</section>")[0]


def recipients(html: str) -> list[str]:
    """The addresses listed in the section, in order."""
    people = re.findall(
        r'<span class="notified-who">(.*?)</span>\s*<span class="notified-status">', html, re.S
    )
    found = []
    for who in people:
        who = who.replace("<wbr>", "")
        match = re.search(r"([\w.+-]+@[\w.-]+)", who)
        found.append(match.group(1))
    return found


def fail(ticket, recipient: str, error: str) -> OutboxMessage:
    row = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.recipient == recipient
        )
    ).first()
    row.status, row.sent_at, row.last_error, row.failed_at = "failed", None, error, utcnow()
    db.session.commit()
    return row


# ------------------------------------------------------------------ what each person sees


def test_en_staff_see_every_message_of_the_ticket(app, world):
    ticket = ticket_in(world, "in_progress")
    drain_queue(app)  # sent (a real worker with Redis; in-process they already left)
    html = section(signed_in(app, world.assistant), ticket)
    # Nouvelle demande → the company's address and the teacher; the plan → assistant,
    # coordinator, teacher.
    assert sorted(recipients(html)) == sorted([MEUSE, TEACHER, ASSISTANT, COORDINATOR, TEACHER])
    assert '<h2 id="notified-title" class="side-title">Notifications</h2>' in html
    assert "5 messages" in html
    # Grouped by change, newest first, with the change's title (the subject without its frame).
    titles = re.findall(r'<p class="notified-what"><strong>(.*?)</strong>', html)
    assert titles[1] == "Nouvelle demande"
    assert titles[0].startswith("Intervention prévue le")
    # Names for people with an account and for the company's address.
    assert "Claire Dumont" in html
    assert "Meuse Informatique" in html
    assert "envoyé le <time" in html


def test_teacher_sees_only_their_own_messages(app, world):
    ticket = ticket_in(world, "in_progress")
    html = section(signed_in(app, world.teacher), ticket)
    assert recipients(html) == [TEACHER, TEACHER]
    for other in (MEUSE, ASSISTANT, COORDINATOR):
        assert other not in html


def test_supplier_sees_its_company_messages_only(app, world):
    ticket = ticket_in(world, "in_progress")
    # Julie's address is not the company's reference one: she sees what the company received.
    html = section(signed_in(app, world.supplier_user), ticket)
    assert recipients(html) == [MEUSE]
    for other in (TEACHER, ASSISTANT, COORDINATOR):
        assert other not in html


def test_another_company_never_sees_the_first_ones_messages(app, world):
    ticket = world.new_ticket()
    ticket = apply_action(
        world.assistant,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        version=ticket.version,
        now=later(5),
    ).ticket
    brabant = signed_in(app, world.other_supplier_user)
    html = section(brabant, ticket)
    assert recipients(html) == [BRABANT]
    assert MEUSE not in html
    # And the first company no longer sees the ticket at all.
    meuse = signed_in(app, world.supplier_user)
    assert meuse.get(f"/demandes/{ticket.reference}").status_code == 404


def test_internal_comment_messages_are_for_en_staff_only(app, world):
    ticket = world.new_ticket()
    add_comment(world.assistant, ticket.id, "Fournisseur lent, à surveiller.", internal=True)
    internal = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.internal)
    ).one()
    # Even a message about it addressed to the teacher or the company (which the audience rules
    # never write) stays hidden from them.
    for address, user_id in ((TEACHER, world.teacher.id), (MEUSE, None)):
        db.session.add(
            OutboxMessage(
                kind="comment",
                recipient=address,
                subject=f"[{ticket.reference}] Commentaire interne — secret",
                body_text="…",
                status="sent",
                sent_at=utcnow(),
                ticket_id=ticket.id,
                event_id=internal.id,
                user_id=user_id,
            )
        )
    db.session.commit()
    for who in (world.teacher, world.supplier_user):
        html = section(signed_in(app, who), ticket)
        assert "Commentaire interne" not in html
    staff = section(signed_in(app, world.coordinator), ticket)
    assert "Commentaire interne" in staff


# ------------------------------------------------------------------ failures


def test_failure_is_an_alert_for_en_staff_with_a_link_for_admins(app, world):
    ticket = world.new_ticket()
    fail(ticket, MEUSE, "Adresse refusée : <script>alert(1)</script>")
    admin = section(signed_in(app, world.admin), ticket)
    alert = admin.split('<div class="outbox-alert" role="alert">')[1].split("</div>")[0]
    assert (
        "Le message à support@meuse.example.com n’a pas pu être envoyé : "
        "Adresse refusée : &lt;script&gt;alert(1)&lt;/script&gt;"
    ) in alert
    assert "<script>alert" not in admin
    assert f'href="/admin/envois?statut=echecs&amp;q={ticket.reference}"' in alert
    assistant = section(signed_in(app, world.assistant), ticket)
    assert 'role="alert"' in assistant
    assert "/admin/envois" not in assistant  # the page is the admins'
    # The list says it too, in words.
    assert "échec : Adresse refusée" in assistant
    # Not for the supplier nor the teacher: their list only.
    supplier = section(signed_in(app, world.supplier_user), ticket)
    assert 'role="alert"' not in supplier
    assert "échec : Adresse refusée" in supplier  # their own address' message
    teacher = section(signed_in(app, world.teacher), ticket)
    assert 'role="alert"' not in teacher
    assert "échec" not in teacher


def test_pending_message_reads_en_attente(app, world):
    ticket = world.new_ticket()
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == TEACHER)).one()
    row.status, row.sent_at = "pending", None
    db.session.commit()
    html = section(signed_in(app, world.teacher), ticket)
    assert "en attente" in html
    assert "envoyé le" not in html


# ------------------------------------------------------------------ htmx and cost


def test_an_action_with_htmx_refreshes_the_section(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    html = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={"csrf_token": extract_csrf(html), "body": "Pièce commandée."},
        headers=HTMX,
    )
    body = response.get_data(as_text=True)
    assert re.search(r'<section id="ticket-notified"[^>]*hx-swap-oob="true"', body)
    part = body.split('<section id="ticket-notified"')[1].split("</section>")[0]
    assert "Nouveau commentaire" in part  # the comment's message to the company


def _statements(client, path) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("who", ["assistant", "supplier_user", "teacher"])
def test_statements_do_not_grow_with_the_messages(app, world, who):
    small, large = world.new_ticket(), world.new_ticket()
    for n in range(25):
        add_comment(world.assistant, large.id, f"Commentaire {n}", now=later(n))
    fail(large, MEUSE, "550")
    client = signed_in(app, getattr(world, who))
    client.get(f"/demandes/{small.reference}")  # warm-up
    assert _statements(client, f"/demandes/{small.reference}") == _statements(
        client, f"/demandes/{large.reference}"
    )
