"""The teacher answers from the approval mail on a phone (real Chromium, real SMTP).

The supplier finishes; the queue sends the mails to an SMTP server on loopback; the link is
taken from the message the teacher received, pointed at the live server, and opened without
signing in. One press of *Approuver* closes the ticket (with JavaScript); *Rouvrir* with a reason
reopens another one (without JavaScript).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Ticket
from app.models.types import utcnow
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action, Status
from tests.support.browser import PHONE

pytestmark = pytest.mark.browser

TEACHER = "claire@ecole.example.com"
SUPPLIER_REFERENCE = "support@meuse.example.com"


@pytest.fixture
def app(make_app, smtp_server):
    """The app of this module sends its mails to a real SMTP server on loopback."""
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _finished(world, summary: str, serial: str) -> Ticket:
    ticket = world.new_ticket(serial=serial)
    now = utcnow()
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=now - timedelta(hours=2)),
        now=now - timedelta(days=1),
    )
    return apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary=summary), now=now
    ).ticket


def _answer_link(smtp_server, ticket: Ticket, label: str, base: str) -> str:
    """The link after « label : » in the plain-text part of the teacher's approval mail."""
    [message] = [
        m["message"]
        for m in smtp_server.messages
        if TEACHER in m["to"]
        and ticket.reference in m["message"]["Subject"]
        and "1 approbation nécessaire" in m["message"]["Subject"]
    ]
    text = message.get_body(("plain",)).get_content()
    match = re.search(rf"{label} \([^)]*\) :\s+(http\S+)", text)
    assert match, text
    # The mail points at RELAIS_BASE_URL; the test serves the app elsewhere.
    return re.sub(r"^https?://[^/]+", base, match.group(1))


def _status(ticket_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id).status


def test_teacher_approves_from_the_mail_on_a_phone(
    app, live_server, phone_page, smtp_server, run_jobs, world
):
    ticket = _finished(world, "Alimentation de l’écran remplacée.", "SN-1")
    run_jobs(app)
    link = _answer_link(smtp_server, ticket, "Approuver", live_server.url)
    page = phone_page
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Approuver l’intervention")
    expect(page.get_by_text("Alimentation de l’écran remplacée.")).to_be_visible()
    expect(page.locator(".answer-ref")).to_contain_text(ticket.reference)
    expect(page.locator(".answer-ref")).to_contain_text("TERMINÉ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _status(ticket.id) == Status.DONE  # opening the link changed nothing

    page.get_by_role("button", name="Approuver", exact=True).click()
    page.wait_for_url(re.compile(r"/merci$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci, l’intervention est approuvée")
    expect(page.locator(".answer-ref")).to_contain_text("FERMÉ")
    assert _status(ticket.id) == Status.CLOSED
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The supplier's reference address hears of it through the real SMTP server.
    run_jobs(app)
    approvals = [
        m for m in smtp_server.messages if "Intervention approuvée" in m["message"]["Subject"]
    ]
    assert {r for m in approvals for r in m["to"]} == {SUPPLIER_REFERENCE, world.assistant.email}

    assert problems == []

    # Back to the mail, pressing again: the page (410 Gone) says what happened instead.
    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Réponse déjà enregistrée")


def test_teacher_reopens_from_the_mail_without_javascript(
    app, live_server, browser, smtp_server, run_jobs, world
):
    ticket = _finished(world, "Câble HDMI remplacé.", "SN-2")
    run_jobs(app)
    link = _answer_link(smtp_server, ticket, "Rouvrir", live_server.url)
    context = browser.new_context(
        java_script_enabled=False, locale="fr-BE", timezone_id="Europe/Brussels", **PHONE
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("Rouvrir la demande")
        page.get_by_role("button", name="Rouvrir", exact=True).click()
        # Nothing typed: the page comes back with the message next to the field.
        expect(page.get_by_text("Expliquez pourquoi le problème persiste.")).to_be_visible()
        assert _status(ticket.id) == Status.DONE
        reason = page.get_by_label("Pourquoi le problème persiste-t-il ?")
        reason.fill("L’image saute toujours toutes les dix secondes.")
        page.get_by_role("button", name="Rouvrir", exact=True).click()
        page.wait_for_url(re.compile(r"/merci$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Merci, la demande est rouverte")
        expect(page.get_by_text("L’image saute toujours toutes les dix secondes.")).to_be_visible()
        assert _status(ticket.id) == Status.OPEN
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
