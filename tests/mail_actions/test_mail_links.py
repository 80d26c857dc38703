"""Answering from the mailbox: the *Approuver* / *Rouvrir* links of the approval mail.

The links are taken from the mail as written to the outbox, and opened with the test client
without signing in. The clock of a link is the instant its mail was written: tickets finished
days ago carry links that old.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.tokens import Purpose, make_token
from app.extensions import db
from app.mail_actions.answers import Problem, problem_with
from app.mail_actions.tokens import (
    AnswerExpired,
    TokenInvalid,
    contact_digest,
    read_answer_token,
)
from app.models import OutboxMessage, Ticket, TicketEvent
from app.models.types import utcnow
from app.tickets import autoclose, service
from app.tickets.errors import StaleTicket
from app.tickets.service import ActionInput, NewTicket, apply_action, create_ticket
from app.tickets.workflow import Action, Status
from tests.support.tickets import build_world
from tests.support.web import extract_csrf, sign_in

DAY = timedelta(days=1)
ANSWER = re.compile(
    r"Approuver \(le problème est résolu\) :\s+http://relais\.test(?P<approve>/reponse/\S+)\s+"
    r"Rouvrir \(le problème persiste\) :\s+http://relais\.test(?P<reopen>/reponse/\S+)"
)


# ------------------------------------------------------------------ helpers


def _open_ticket(world, *, contact_name=None, contact_email=None, serial="SN-000123") -> Ticket:
    data = NewTicket(
        request_type_id=world.request_type.id,
        summary="Écran interactif ne s’allume plus",
        description="Diagnostic : alimentation HS.",
        site_id=world.site.id,
        contact_name=contact_name or world.teacher.full_name,
        contact_phone="+3281123456",
        contact_email=contact_email or world.teacher.email,
        equipment_serial=serial,
        equipment_description="Lot 01 - Écran interactif",
        supplier_id=world.supplier.id,
    )
    return create_ticket(world.assistant, data, now=utcnow() - 60 * DAY)


def _finish(world, ticket: Ticket, at, summary="Alimentation de l’écran remplacée.") -> Ticket:
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=at - timedelta(hours=1)),
        now=at - DAY,
    ).ticket
    return apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary=summary), now=at
    ).ticket


def _done(world, *, ago=timedelta(hours=1), **contact) -> Ticket:
    """A ticket the supplier finished `ago`, whose approval mail went to its contact."""
    return _finish(world, _open_ticket(world, **contact), utcnow() - ago)


def _links(ticket: Ticket) -> dict[str, str]:
    """The answer links of the latest message to the ticket's contact that carries them."""
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    bodies = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.recipient == ticket.contact_email
        )
        .order_by(OutboxMessage.id.desc())
    )
    for body in bodies:
        match = ANSWER.search(body)
        if match:
            return match.groupdict()
    raise AssertionError("no answer links in the contact's mails")


def _snapshot(ticket_id: int) -> tuple:
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    events = db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    )
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    return ticket.status, ticket.version, ticket.round, events, mails


def _post(client, path, **data):
    page = client.get(path)
    return client.post(path, data={"csrf_token": extract_csrf(page.get_data(as_text=True)), **data})


def _reload(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def _text(response) -> str:
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ the approval


def test_only_the_contact_gets_links_and_only_to_approve(app, world):
    ticket = _done(world)
    db.session.expire_all()
    rows = db.session.execute(
        select(OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.body_text).where(
            OutboxMessage.ticket_id == ticket.id
        )
    ).all()
    with_links = {(r.recipient, r.kind) for r in rows if "/reponse/" in r.body_text}
    assert with_links == {(world.teacher.email, "finish")}
    # The assistant and the coordinator were told of the finish too, without links.
    finish_recipients = {r.recipient for r in rows if r.kind == "finish"}
    assert finish_recipients == {
        world.teacher.email,
        world.assistant.email,
        "olivier@relais.example.com",
    }
    [html] = list(
        db.session.scalars(
            select(OutboxMessage.body_html).where(
                OutboxMessage.ticket_id == ticket.id,
                OutboxMessage.recipient == world.teacher.email,
                OutboxMessage.kind == "finish",
            )
        )
    )
    links = _links(ticket)
    assert f'href="http://relais.test{links["approve"]}"' in html
    assert f'href="http://relais.test{links["reopen"]}"' in html


def test_approve_without_password(app, client, world):
    ticket = _done(world)
    links = _links(ticket)

    page = client.get(links["approve"])
    assert page.status_code == 200
    html = _text(page)
    assert "Approuver l’intervention" in html
    assert ticket.reference in html
    assert "Écran interactif ne s’allume plus" in html
    assert world.site.label.replace("'", "&#39;") in html
    assert "SN-000123" in html
    assert "Alimentation de l’écran remplacée." in html  # the supplier's summary
    assert 'name="csrf_token"' in html
    assert "Se déconnecter" not in html  # the standalone layout
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]

    response = client.post(links["approve"], data={"csrf_token": extract_csrf(html)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(links["approve"] + "/merci")
    ticket = _reload(ticket.id)
    assert ticket.status == Status.CLOSED
    [event] = [e for e in ticket.events if e.kind == "approve"]
    assert event.actor_id == world.teacher.id
    assert event.data["via"] == "mail"
    assert event.data["by_email"] == world.teacher.email
    assert event.data["link"]

    done = client.get(response.headers["Location"])
    assert done.status_code == 200
    assert "Merci, l’intervention est approuvée" in _text(done)
    assert "FERMÉ" in _text(done)
    # The supplier's reference address and the assistant are told, as for an approval on the page.
    told = set(
        db.session.scalars(
            select(OutboxMessage.recipient).where(
                OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "approve"
            )
        )
    )
    assert told == {"support@meuse.example.com", world.assistant.email}


def test_the_activity_says_it_came_by_mail(app, client, world):
    ticket = _done(world)
    _post(client, _links(ticket)["approve"])
    sign_in(client, world.assistant)
    page = _text(client.get(f"/demandes/{ticket.reference}"))
    assert "Claire Dumont (par e-mail)" in page
    assert "a approuvé l’intervention" in page


def test_get_alone_changes_nothing(app, client, world):
    ticket = _done(world)
    links = _links(ticket)
    before = _snapshot(ticket.id)
    for _ in range(5):  # a mail scanner, a link preview, the person opening it twice…
        assert client.get(links["approve"]).status_code == 200
        assert client.get(links["reopen"]).status_code == 200
        assert client.head(links["approve"]).status_code == 200
        # The confirmation page of an unused link sends back to the question, still unchanged.
        assert client.get(links["approve"] + "/merci").status_code == 302
    assert _snapshot(ticket.id) == before
    assert before[0] == Status.DONE


def test_post_needs_the_csrf_token(app, client, world):
    ticket = _done(world)
    links = _links(ticket)
    before = _snapshot(ticket.id)
    client.get(links["approve"])
    response = client.post(links["approve"], data={})
    assert response.status_code == 400
    assert "Formulaire expiré" in _text(response)
    response = client.post(links["reopen"], data={"reason": "Toujours noir.", "csrf_token": "x"})
    assert response.status_code == 400
    assert _snapshot(ticket.id) == before


def test_reopen_needs_a_reason_and_keeps_what_was_typed(app, client, world):
    ticket = _done(world)
    links = _links(ticket)
    page = client.get(links["reopen"])
    html = _text(page)
    assert "Pourquoi le problème persiste-t-il ?" in html
    token = extract_csrf(html)
    before = _snapshot(ticket.id)

    response = client.post(links["reopen"], data={"csrf_token": token, "reason": "   "})
    assert response.status_code == 422
    assert "Expliquez pourquoi le problème persiste." in _text(response)
    assert _snapshot(ticket.id) == before

    too_long = "L’écran reste noir. " * 260  # over 5000 characters
    response = client.post(links["reopen"], data={"csrf_token": token, "reason": too_long})
    assert response.status_code == 422
    assert "5000 caractères au maximum" in _text(response)
    assert too_long.strip() in _text(response)  # the form comes back with it
    assert _snapshot(ticket.id) == before

    response = client.post(
        links["reopen"], data={"csrf_token": token, "reason": "L’écran reste noir au démarrage."}
    )
    assert response.status_code == 303
    ticket = _reload(ticket.id)
    assert ticket.status == Status.OPEN
    assert ticket.round == 2
    [event] = [e for e in ticket.events if e.kind == "reopen"]
    assert event.body == "L’écran reste noir au démarrage."
    assert event.data["via"] == "mail"
    done = _text(client.get(response.headers["Location"]))
    assert "Merci, la demande est rouverte" in done
    assert "L’écran reste noir au démarrage." in done


# ------------------------------------------------------------------ refusals


def test_tampered_links_are_refused(app, client, world):
    ticket = _done(world)
    path = _links(ticket)["approve"]
    token = path.rsplit("/", 1)[1]
    payload, stamp, signature = token.rsplit(".", 2)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    invitation = make_token(Purpose.INVITATION, ticket.id)  # genuine, but for another purpose
    before = _snapshot(ticket.id)
    for bad in (
        f"{payload}.{stamp}.{flipped}",
        token[:-10],
        "not-a-valid-token",
        invitation,
    ):
        response = client.get(f"/reponse/{bad}")
        assert response.status_code == 404
        assert "Lien non valide" in _text(response)
        assert ticket.reference not in _text(response)
        csrf = extract_csrf(_text(client.get(path)))
        assert client.post(f"/reponse/{bad}", data={"csrf_token": csrf}).status_code == 404
    assert _snapshot(ticket.id) == before


def test_claims_cannot_be_changed(app, world):
    """A link for one ticket, round or address never acts on another (signed payload)."""
    ticket = _done(world)
    token = _links(ticket)["approve"].rsplit("/", 1)[1]
    claims = read_answer_token(token)
    assert (claims.ticket_id, claims.round, claims.action) == (ticket.id, 1, "approve")
    assert claims.is_for(world.teacher.email)
    assert claims.intervention_id == _reload(ticket.id).interventions[-1].id
    ticket = _reload(ticket.id)
    assert problem_with(ticket, claims) is None
    assert problem_with(ticket, replace(claims, intervention_id=-1)) == Problem.NEW_ROUND
    assert problem_with(ticket, replace(claims, round=2)) == Problem.NEW_ROUND
    assert (
        problem_with(ticket, replace(claims, contact=contact_digest("x@example.com")))
        == Problem.NOT_CONTACT
    )
    # Signed with another key: refused.
    app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough"
    with pytest.raises(TokenInvalid):
        read_answer_token(token)


def test_expired_links(app, client, world):
    # 15 days to the closure, then a week of grace: 22 days.
    old = _done(world, ago=22 * DAY + timedelta(minutes=1))
    recent = _done(world, ago=22 * DAY - timedelta(minutes=1), serial="SN-2")
    response = client.get(_links(old)["approve"])
    assert response.status_code == 410
    assert "Lien expiré" in _text(response)
    assert "TERMINÉ" in _text(response)  # the ticket as it is now
    assert client.get(_links(recent)["approve"]).status_code == 200

    # The same boundary with the token's own clock.
    token = _links(recent)["approve"].rsplit("/", 1)[1]
    claims = read_answer_token(token)
    with pytest.raises(AnswerExpired):
        read_answer_token(token, now=claims.expires_at)
    assert read_answer_token(token, now=claims.expires_at - timedelta(seconds=1)) == claims


def test_a_link_acts_once(app, client, world):
    ticket = _done(world)
    links = _links(ticket)
    assert _post(client, links["approve"]).status_code == 303
    after = _snapshot(ticket.id)
    for path in (links["approve"], links["reopen"]):  # the other link of the same message too
        response = client.get(path)
        assert response.status_code == 410
        assert "Réponse déjà enregistrée" in _text(response)
        assert "Intervention approuvée par Claire Dumont (par e-mail)" in _text(response)
        csrf = extract_csrf(_text(response))
        response = client.post(path, data={"csrf_token": csrf, "reason": "Encore."})
        assert response.status_code == 410
    assert _snapshot(ticket.id) == after


def test_after_someone_else_answered(app, client, world):
    ticket = _done(world)
    links = _links(ticket)
    page = client.get(links["reopen"])  # opened, then the assistant approves on the ticket page
    apply_action(world.assistant, ticket.id, Action.APPROVE, ActionInput())
    after = _snapshot(ticket.id)
    response = client.post(
        links["reopen"], data={"csrf_token": extract_csrf(_text(page)), "reason": "Non."}
    )
    assert response.status_code == 410
    text = _text(response)
    assert "La demande a déjà changé" in text
    assert f"L’intervention a été approuvée par {world.assistant.full_name}" in text
    assert "État actuel de la demande" in text
    assert "FERMÉ" in text
    assert "Se connecter" in text
    assert _snapshot(ticket.id) == after


def test_after_the_automatic_closure(app, client, world):
    ticket = _done(world, ago=16 * DAY)
    links = _links(ticket)
    autoclose.run_due()
    response = client.get(links["approve"])
    assert response.status_code == 410
    assert "clôturée automatiquement" in _text(response)
    assert _reload(ticket.id).status == Status.CLOSED


def test_the_service_refuses_a_link_the_closure_beat(app, world):
    """The press and the job at once: whichever commits first wins, the other changes nothing."""
    ticket = _done(world, ago=16 * DAY)
    claims = read_answer_token(_links(ticket)["approve"].rsplit("/", 1)[1])
    assert service.auto_close(ticket.id) is not None
    with pytest.raises(service.AnswerRefused) as refused:
        service.answer_from_mail(claims)
    assert refused.value.problem == Problem.MOVED_ON
    assert _reload(ticket.id).events[-1].kind == "auto_close"


def test_presses_and_the_closure_at_once_make_one_change(app, world):
    """Two presses of the link and two passes of the job, at the same instant: one closure."""
    ticket = _done(world, ago=16 * DAY)
    claims = read_answer_token(_links(ticket)["approve"].rsplit("/", 1)[1])
    ticket_id = ticket.id
    barrier = threading.Barrier(4)
    outcomes, lock = [], threading.Lock()

    def press():
        with app.app_context():
            barrier.wait()
            try:
                service.answer_from_mail(claims)
                result = "answered"
            except (service.AnswerRefused, StaleTicket):
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    def job():
        with app.app_context():
            barrier.wait()
            try:
                result = "closed" if service.auto_close(ticket_id) else "nothing"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=f) for f in (press, press, job, job)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 4
    assert outcomes.count("answered") + outcomes.count("closed") == 1, outcomes
    ticket = _reload(ticket_id)
    assert ticket.status == Status.CLOSED
    assert len([e for e in ticket.events if e.kind in ("approve", "auto_close")]) == 1


def test_a_link_of_an_earlier_round(app, client, world):
    ticket = _done(world, ago=3 * DAY)
    first = _links(ticket)
    apply_action(
        world.teacher, ticket.id, Action.REOPEN, ActionInput(reason="Noir."), now=utcnow() - 2 * DAY
    )
    ticket = _finish(world, _reload(ticket.id), utcnow() - DAY)
    assert ticket.round == 2
    second = _links(ticket)
    assert second != first
    before = _snapshot(ticket.id)

    response = client.get(first["approve"])
    assert response.status_code == 410
    text = _text(response)
    assert "Ce message n’est plus d’actualité" in text
    assert "utilisez le lien du message le plus récent" in text
    csrf = extract_csrf(text)
    assert client.post(first["approve"], data={"csrf_token": csrf}).status_code == 410
    assert _snapshot(ticket.id) == before

    assert _post(client, second["approve"]).status_code == 303
    assert _reload(ticket.id).status == Status.CLOSED


def test_a_signed_in_visitor_does_not_become_the_actor(app, client, world):
    """Whoever is signed in in this browser, the answer is the contact's, and the page shows no
    account menu."""
    ticket = _done(world)
    sign_in(client, world.supplier_user)
    links = _links(ticket)
    page = _text(client.get(links["approve"]))
    assert "Se déconnecter" not in page
    assert _post(client, links["approve"]).status_code == 303
    [event] = [e for e in _reload(ticket.id).events if e.kind == "approve"]
    assert event.actor_id == world.teacher.id


def test_an_inactive_account_cannot_answer(app, client, world):
    ticket = _done(world)
    links = _links(ticket)
    world.teacher.active = False
    db.session.commit()
    response = client.get(links["approve"])
    assert response.status_code == 403
    assert "Compte désactivé" in _text(response)
    assert _reload(ticket.id).status == Status.DONE


# ------------------------------------------------------------------ a contact without account


def test_contact_without_account(app, client, world):
    ticket = _done(
        world, contact_name="Marc Lambert", contact_email="marc.lambert@ecole.example.com"
    )
    assert ticket.contact_user_id is None
    links = _links(ticket)
    page = _text(client.get(links["approve"]))
    assert "Bonjour Marc Lambert" in page
    assert "se connecter à Relais" not in page  # no account to sign in with

    assert _post(client, links["approve"]).status_code == 303
    ticket = _reload(ticket.id)
    assert ticket.status == Status.CLOSED
    [event] = [e for e in ticket.events if e.kind == "approve"]
    assert event.actor_id is None
    assert event.data == {
        "via": "mail",
        "link": event.data["link"],
        "round": 1,
        "by_name": "Marc Lambert",
        "by_email": "marc.lambert@ecole.example.com",
    }
    supplier_mail = db.session.scalar(
        select(OutboxMessage.body_text).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.kind == "approve",
            OutboxMessage.recipient == "support@meuse.example.com",
        )
    )
    assert "(Marc Lambert, par e-mail)" in supplier_mail

    other = _done(
        world,
        contact_name="Marc Lambert",
        contact_email="marc.lambert@ecole.example.com",
        serial="SN-2",
    )
    reopen = _links(other)["reopen"]
    assert _post(client, reopen, reason="Le son ne fonctionne toujours pas.").status_code == 303
    other = _reload(other.id)
    assert other.status == Status.OPEN
    assert other.events[-1].data["by_name"] == "Marc Lambert"
    assert other.events[-1].actor_id is None

    from app.tickets.display import activity

    entries = activity(other, world.assistant)
    assert entries[0].who == "Marc Lambert (par e-mail)"
    assert entries[0].sentence == "a rouvert la demande"


def test_post_is_rate_limited(make_app):
    app = make_app(RELAIS_MAIL_ANSWER_RATE_LIMIT="2 per minute")
    with app.app_context():
        world = build_world()
        ticket = _done(world)
        client = app.test_client()
        path = _links(ticket)["reopen"]
        csrf = extract_csrf(_text(client.get(path)))
        codes = [
            client.post(path, data={"csrf_token": csrf, "reason": ""}).status_code for _ in range(3)
        ]
        assert codes == [422, 422, 429]
        assert client.get(path).status_code == 200  # reading is not limited
        assert _reload(ticket.id).status == Status.DONE
