"""The ticket page: who sees it, its frame, its buttons, comments, sharing, notifications."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Attachment, Invitation, OutboxMessage, Participant, Ticket, TicketEvent
from app.tickets.service import add_comment
from tests.support import factories
from tests.support.tickets import later, ticket_in
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}


def page(client, ticket) -> str:
    response = client.get(f"/demandes/{ticket.reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def token(html: str) -> str:
    return extract_csrf(html)


def action_buttons(html: str) -> set[str]:
    """The actions whose form the page shows."""
    found = set(re.findall(r'<form[^>]* action="/demandes/[A-Z]+-\d+/actions/([a-z_]+)"', html))
    # « Prendre en charge » is a one-click form of change_assignee.
    return found


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------ who sees the page


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("supplier_user", True),
        ("supplier_colleague", True),  # the company's secondary user: sees, not told
        ("other_supplier_user", False),
        ("teacher", True),  # the contact
        ("colleague_teacher", False),  # same school, not shared with
        ("other_teacher", False),
        ("assistant", True),
        ("assistant2", True),
        ("coordinator", True),
        ("admin", True),
    ],
)
def test_page_for_each_role(app, world, who, visible):
    ticket = world.new_ticket()
    client = signed_in(app, getattr(world, who))
    response = client.get(f"/demandes/{ticket.reference}")
    assert response.status_code == (200 if visible else 404)
    # A fragment endpoint of the page answers the same.
    fragment = client.get(
        f"/demandes/{ticket.reference}/actions/plan/message?plan-planned_date=2026-03-10",
        headers=HTMX,
    )
    assert fragment.status_code in ((200, 403) if visible else (404,))


def test_shared_colleague_sees_the_page(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.colleague_teacher)
    assert client.get(f"/demandes/{ticket.reference}").status_code == 404
    db.session.add(Participant(ticket_id=ticket.id, user_id=world.colleague_teacher.id))
    db.session.commit()
    assert client.get(f"/demandes/{ticket.reference}").status_code == 200


def test_anonymous_goes_to_sign_in(app, world, client):
    ticket = world.new_ticket()
    response = client.get(f"/demandes/{ticket.reference}")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_unknown_reference_is_404(app, world):
    client = signed_in(app, world.assistant)
    assert client.get("/demandes/TECH-999").status_code == 404


# ------------------------------------------------------------------ the frame


def test_frame_as_the_current_portal_draws_it(app, world):
    ticket = world.new_ticket(description="Ligne 1\nLigne 2 <script>alert('x')</script>")
    html = page(signed_in(app, world.supplier_user), ticket)
    site = world.site
    assert '<li><a href="/">Ecole Numérique</a></li>' in html
    assert '<li><a href="/demandes">Assistance technique</a></li>' in html
    assert f'aria-current="page">{ticket.reference}</a>' in html
    assert (
        '<h1 id="ticket-title" class="ticket-title">Écran interactif ne s’allume plus</h1>' in html
    )
    assert "a créé cette demande le" in html
    assert f"FI {site.fi} - FE {site.fe} - {site.name}" in html
    # Phone: tel: with the stored E.164 number, shown the Belgian way.
    assert '<a class="tel" hx-boost="false" href="tel:+3281123456">081 12 34 56</a>' in html
    assert 'href="mailto:claire@ecole.example.com"' in html
    # Directions from the site's coordinates, and a geo: link for the phone's map app.
    assert 'href="https://www.openstreetmap.org/directions?to=50.460000%2C4.860000"' in html
    assert 'href="geo:50.460000,4.860000?q=50.460000,4.860000"' in html
    # The device typed by hand is not in the inventory: flagged.
    assert "Absent de l’inventaire" in html
    assert "SN-000123" in html
    # The description: escaped, line breaks kept (pre-wrap, no <br> needed).
    assert "<script>alert" not in html
    assert "Ligne 1\nLigne 2 &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    # A supplier does not get the directory's school page.
    assert "/annuaire/ecoles/" not in html


def test_inventory_device_and_school_link_for_en_staff(app, world):
    item = factories.equipment(lot="Lot 00", model="Exemple de matériel", label="ENXX-LOTXX-12345")
    db.session.commit()
    ticket = world.new_ticket(equipment_id=item.id, serial="")
    html = page(signed_in(app, world.assistant), ticket)
    assert "Ecole Numérique - Lot 00 - Exemple de matériel" in html
    assert "Absent de l’inventaire" not in html
    assert "ENXX-LOTXX-12345" in html
    assert f'href="/annuaire/ecoles/{world.site.fe}/{world.site.fi}"' in html


def test_side_panel(app, world):
    ticket = ticket_in(world, "done")
    html = page(signed_in(app, world.teacher), ticket)
    assert "TERMINÉ" in html
    assert "1 approbation nécessaire" in html
    assert "Retour fournisseur" in html  # type de demande
    assert "Meuse Informatique" in html
    assert "Responsable" in html
    assert world.assistant.full_name in html
    participants = html.split('id="participants-title"')[1].split("</ul>")[0]
    assert world.assistant.full_name in participants
    assert "Créateur" in participants
    assert "Claire Dumont" in participants
    # The visit: planned, finished, with its summary.
    visits = html.split('id="ticket-interventions"')[1].split("</section>")[0]
    assert "Terminée" in visits
    assert "Alimentation remplacée." in visits
    assert "L’intervention est prévue le 4 mars 2026 à 10:00." in visits


def test_activity_shows_changes_in_order(app, world):
    ticket = ticket_in(world, "in_progress")
    html = page(signed_in(app, world.teacher), ticket)
    activity = html.split('id="ticket-activity"')[1]
    planned = activity.index("a planifié l’intervention le 4 mars 2026 à 10:00")
    created = activity.index("a créé cette demande")
    assert planned < created  # newest first
    assert 'status-open">OUVERT</span> <span aria-hidden="true">→</span>' in activity
    assert "EN COURS" in activity


# ------------------------------------------------------------------ buttons


EXPECTED_BUTTONS = [
    ("supplier_user", "open", {"plan", "finish_on_spot", "send_back", "assign_technician"}),
    (
        "supplier_user",
        "in_progress",
        {"reschedule", "finish", "send_back", "assign_technician"},
    ),
    ("supplier_user", "done", {"assign_technician"}),
    ("supplier_user", "closed", set()),
    ("supplier_colleague", "open", {"plan", "finish_on_spot", "send_back", "assign_technician"}),
    ("teacher", "open", set()),
    ("teacher", "in_progress", set()),
    ("teacher", "done", {"approve", "reopen"}),
    ("teacher", "closed", set()),
    ("assistant", "open", {"plan", "resolve", "reassign_supplier", "cancel", "change_assignee"}),
    ("assistant", "in_progress", {"reassign_supplier", "cancel", "change_assignee"}),
    ("assistant", "done", {"approve", "reopen", "cancel", "change_assignee"}),
    ("assistant", "closed", set()),
    ("assistant", "cancelled", set()),
    ("admin", "done", {"approve", "reopen", "cancel", "change_assignee"}),
    ("coordinator", "open", {"reassign_supplier"}),
    ("coordinator", "done", set()),
]


@pytest.mark.parametrize(("who", "status", "expected"), EXPECTED_BUTTONS)
def test_only_the_allowed_buttons(app, world, who, status, expected):
    ticket = ticket_in(world, status)
    html = page(signed_in(app, getattr(world, who)), ticket)
    assert action_buttons(html) == expected
    # The main action is drawn first, in the current portal's green.
    main = {"plan", "finish", "approve"} & expected
    if main:
        first = re.search(
            r'<details class="action action-(\w+)"[^>]*>\s*<summary[^>]*>([^<]+)', html
        )
        assert first.group(1) == "main"


def test_no_plan_button_without_a_supplier(app, world):
    ticket = world.new_ticket(supplier_id=None)
    html = page(signed_in(app, world.assistant), ticket)
    assert "plan" not in action_buttons(html)
    assert "Aucun : à attribuer par l’équipe EN" in html


def test_take_in_charge_is_offered_to_another_assistant(app, world):
    ticket = world.new_ticket()
    assert "Prendre en charge" in page(signed_in(app, world.assistant2), ticket)
    assert "Prendre en charge" not in page(signed_in(app, world.assistant), ticket)
    assert "Prendre en charge" not in page(signed_in(app, world.coordinator), ticket)


# ------------------------------------------------------------------ comments


def test_internal_comments_only_for_en_staff(app, world):
    ticket = world.new_ticket()
    add_comment(world.assistant, ticket.id, "Pour l’équipe : école difficile.", internal=True)
    add_comment(world.assistant, ticket.id, "Message pour tous.")
    for who in ("supplier_user", "teacher"):
        html = page(signed_in(app, getattr(world, who)), ticket)
        assert "Message pour tous." in html
        assert "école difficile" not in html
        assert "Interne (équipe EN)" not in html  # no internal checkbox either
    for who in ("assistant", "coordinator"):
        html = page(signed_in(app, getattr(world, who)), ticket)
        entry = html.split("école difficile")[0].rsplit('<li class="event', 1)[1]
        assert "event-internal" in entry
        assert ">Interne</span>" in entry
        assert "Interne (équipe EN)" in html


def test_comment_plain_post_redirects_with_a_flash(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    html = page(client, ticket)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={"csrf_token": token(html), "body": "Pièce commandée.", "internal": "y"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/demandes/{ticket.reference}#activite")
    followed = page(client, ticket)
    assert "Commentaire ajouté." in followed
    comment = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "comment"))
    assert (comment.body, comment.internal) == ("Pièce commandée.", False)  # no internal for them
    # The supplier's reference address is told, not the supplier who wrote.
    recipients = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "comment")
    ).all()
    assert "julie@meuse.example.com" not in recipients
    assert "support@meuse.example.com" in recipients


def test_comment_with_htmx_returns_fragments(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    html = page(client, ticket)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={"csrf_token": token(html), "body": "Vu avec l’école.", "internal": "y"},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert body.lstrip().startswith('<form id="comment-form"')
    assert "Commentaire interne ajouté." in body
    assert re.search(r'<ol id="ticket-activity"[^>]*hx-swap-oob="true"', body)
    assert re.search(r'id="ticket-actions"[^>]*hx-swap-oob="true"', body)  # fresh version
    assert "Vu avec l’école." in body
    assert count(TicketEvent, TicketEvent.internal.is_(True)) == 1


def test_empty_comment_is_refused_next_to_the_field(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.teacher)
    html = page(client, ticket)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={"csrf_token": token(html), "body": "   "},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert '<p class="error" id="body-error">Écrivez votre commentaire.</p>' in body
    assert count(TicketEvent, TicketEvent.kind == "comment") == 0


def _png(name="photo.png") -> tuple[io.BytesIO, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer, name


def test_comment_with_a_photo(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    html = page(client, ticket)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={"csrf_token": token(html), "body": "Voici l’étiquette.", "files": [_png()]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    attachment = db.session.scalar(select(Attachment))
    comment = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "comment"))
    assert attachment.event_id == comment.id
    html = page(client, ticket)
    thumb = f"/demandes/{ticket.reference}/pieces/{attachment.id}/miniature"
    assert f'src="{thumb}"' in html
    assert client.get(thumb).status_code == 200
    # The teacher sees it too; an internal file would not be listed for them.
    assert thumb in page(signed_in(app, world.teacher), ticket)


def test_a_refused_file_saves_no_comment(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    html = page(client, ticket)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={
            "csrf_token": token(html),
            "body": "Voir le programme.",
            "files": [(io.BytesIO(b"MZ\x90\x00\x03binary"), "outil.exe")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="files-error">« outil.exe » : Ce type de fichier', body)
    assert "Voir le programme." in body  # what was typed is kept
    assert count(TicketEvent, TicketEvent.kind == "comment") == 0
    assert count(Attachment) == 0


# ------------------------------------------------------------------ sharing


def _share(client, ticket, email, htmx=False):
    html = page(client, ticket)
    return client.post(
        f"/demandes/{ticket.reference}/partage",
        data={"csrf_token": token(html), "email": email},
        headers=HTMX if htmx else {},
    )


def _participant_ids(ticket) -> set[int]:
    db.session.expire_all()
    return {p.user_id for p in db.session.get(Ticket, ticket.id).participants}


def test_supplier_shares_with_own_company_only(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    response = _share(client, ticket, world.supplier_colleague.email.upper())
    assert response.status_code == 303
    assert world.supplier_colleague.id in _participant_ids(ticket)
    assert "Demande partagée avec" in page(client, ticket)

    refusal = "Vous pouvez partager cette demande avec les personnes de votre société"
    for email in (
        world.other_supplier_user.email,
        world.teacher.email,
        "personne@inconnu.example.com",
    ):
        response = _share(client, ticket, email)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        # The same answer for an unknown address: no hint of who has an account.
        assert f'<p class="error" id="email-error">{refusal}' in body
        assert f'value="{email}"' in body
    assert _participant_ids(ticket) == {
        world.assistant.id,
        world.teacher.id,
        world.supplier_colleague.id,
    }


def test_teacher_shares_with_colleagues_of_the_same_school(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.teacher)
    assert _share(client, ticket, world.other_teacher.email).status_code == 422
    assert _share(client, ticket, world.supplier_user.email).status_code == 422
    response = _share(client, ticket, world.colleague_teacher.email, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="ticket-participants"')
    assert world.colleague_teacher.full_name in body
    assert world.colleague_teacher.id in _participant_ids(ticket)


def test_en_staff_share_with_anyone_and_invite_teachers(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    assert _share(client, ticket, world.other_supplier_user.email).status_code == 303
    assert world.other_supplier_user.id in _participant_ids(ticket)
    # Already there: said, not added twice.
    response = _share(client, ticket, world.other_supplier_user.email)
    assert response.status_code == 303
    assert "déjà partagée" in page(client, ticket)
    assert count(TicketEvent, TicketEvent.kind == "share") == 1

    # No account: an invitation to sign up as a teacher of the ticket's school.
    response = _share(client, ticket, "nouvelle.prof@ecole.example.com")
    assert response.status_code == 303
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.role, invitation.site_id) == (
        "nouvelle.prof@ecole.example.com",
        "teacher",
        world.site.id,
    )
    assert "une invitation à créer un compte" in page(client, ticket)
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 1


def test_coordinator_cannot_invite_from_the_ticket(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.coordinator)
    response = _share(client, ticket, "inconnu@ecole.example.com")
    assert response.status_code == 422
    assert "Invitez d’abord la personne" in response.get_data(as_text=True)
    assert count(Invitation) == 0


def test_share_needs_an_address(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    response = _share(client, ticket, "")
    assert response.status_code == 422
    assert "Indiquez l’adresse e-mail de la personne." in response.get_data(as_text=True)
    response = _share(client, ticket, "claire.ecole.example.com")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert '<p class="error" id="email-error">Indiquez une adresse e-mail valide.</p>' in body
    assert 'value="claire.ecole.example.com"' in body
    assert count(Invitation) == 0


# ------------------------------------------------------------------ notifications


def test_notifications_switch(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_colleague)
    html = page(client, ticket)
    # A secondary user of the company is not told until they switch the ticket on.
    assert 'role="switch" aria-checked="false"' in html
    assert "Notifications désactivées" in html
    response = client.post(
        f"/demandes/{ticket.reference}/notifications",
        data={"csrf_token": token(html), "on": "1"},
    )
    assert response.status_code == 303
    participant = db.session.scalar(
        select(Participant).where(Participant.user_id == world.supplier_colleague.id)
    )
    assert participant.notify is True
    html = page(client, ticket)
    assert 'aria-checked="true"' in html
    assert "Notifications activées pour cette demande." in html

    response = client.post(
        f"/demandes/{ticket.reference}/notifications",
        data={"csrf_token": token(html), "on": "0"},
        headers=HTMX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="ticket-state"')
    assert "Notifications désactivées" in body
    db.session.expire_all()
    assert db.session.get(Participant, (ticket.id, world.supplier_colleague.id)).notify is False

    # Anything else than on/off is not a request of this page.
    assert (
        client.post(
            f"/demandes/{ticket.reference}/notifications",
            data={"csrf_token": token(html), "on": "maybe"},
        ).status_code
        == 400
    )


def test_contact_teacher_is_told_by_default(app, world):
    ticket = world.new_ticket()
    assert 'aria-checked="true"' in page(signed_in(app, world.teacher), ticket)
    assert 'aria-checked="true"' in page(signed_in(app, world.coordinator), ticket)


# ------------------------------------------------------------------ cost of the page


def _queries(client, path) -> int:
    statements = []

    def _count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return len(statements)


def test_query_count_does_not_grow_with_the_activity(app, world):
    small, large = world.new_ticket(), world.new_ticket()
    for n in range(3):
        add_comment(world.assistant, small.id, f"Commentaire {n}", now=later(n))
    for n in range(30):
        who = (world.assistant, world.assistant2, world.coordinator, world.admin)[n % 4]
        add_comment(who, large.id, f"Commentaire {n}", now=later(n))
    client = signed_in(app, world.assistant)
    client.get(f"/demandes/{small.reference}")  # warm-up (session, user loader)
    assert _queries(client, f"/demandes/{small.reference}") == _queries(
        client, f"/demandes/{large.reference}"
    )
