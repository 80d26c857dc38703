"""A ticket's whole life on a phone (real Chromium, 390×844), with the mails through real SMTP.

The supplier finds the ticket in the list, plans the visit (the message follows the chosen date),
finishes it with a summary and a photo; the teacher approves and the ticket is FERMÉ. Another
ticket is reopened by the teacher and starts over. After each step: what the page shows, and
who received a mail (exact addresses; never the person who acted, never the company's
secondary user).
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.models.types import utcnow
from app.tickets import planning
from tests.support.tickets import ticket_in
from tests.support.web import sign_in

pytestmark = pytest.mark.browser

ASSISTANT = "quentin@relais.example.com"
COORDINATOR = "olivier@relais.example.com"
TEACHER = "claire@ecole.example.com"
SUPPLIER_REFERENCE = "support@meuse.example.com"
SUPPLIER_USER = "julie@meuse.example.com"  # acts; never told of her own actions
SECONDARY = "thomas@meuse.example.com"  # the company's other user: told of nothing


@pytest.fixture
def app(make_app, smtp_server):
    """The app of this module sends its mails to a real SMTP server on loopback."""
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def weekday_ahead(days: int) -> object:
    day = planning.to_local(utcnow()).date() + timedelta(days=days)
    # Weekends, holidays and Wednesday afternoons ask for a confirmation.
    while planning.visit_reasons(planning.to_utc(day, time(13, 30))):
        day += timedelta(days=1)
    return day


class Mailbox:
    """What the SMTP server received since the last look."""

    def __init__(self, app, smtp_server, run_jobs):
        self.app, self.server, self.run_jobs = app, smtp_server, run_jobs
        self.seen = 0

    def new(self) -> dict[str, str]:
        """{recipient: subject} of the messages received since the last call (one event's:
        one message per person)."""
        self.run_jobs(self.app)  # with Redis, a worker's pass; in-process, already sent
        fresh = self.server.messages[self.seen :]
        self.seen = len(self.server.messages)
        received = {}
        for message in fresh:
            for recipient in message["to"]:
                assert recipient not in received, f"two messages to {recipient}"
                received[recipient] = str(message["message"]["Subject"])
        return received


def sign_out(page):
    page.locator("details.account > summary").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()


def open_action(page, name):
    page.locator("#ticket-actions summary", has_text=re.compile(rf"^{name}")).click()


def submit_action(page, action):
    page.locator(f'#ticket-actions form[action$="/actions/{action}"] button[type=submit]').click()


def state(page):
    return page.locator("#ticket-state .state-badge")


def test_supplier_plans_and_finishes_teacher_approves_and_reopens(
    app, live_server, phone_page, smtp_server, run_jobs, tmp_path, world
):
    first = world.new_ticket(summary="Écran interactif ne s’allume plus")
    second = ticket_in(world, "done", summary="Portable : le clavier ne répond plus")
    base = live_server.url
    mails = Mailbox(app, smtp_server, run_jobs)
    run_jobs(app)
    mails.seen = len(smtp_server.messages)  # the mails of the setup
    page = phone_page
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))

    # ---- the supplier finds the ticket in the list and opens it
    sign_in(page, SUPPLIER_USER, base=base)
    page.goto(f"{base}/demandes")
    page.get_by_label("La demande contient…").fill("allume")
    link = page.get_by_role("link", name=first.reference, exact=True)
    expect(link).to_be_visible()
    expect(page.get_by_role("link", name=second.reference, exact=True)).to_have_count(0)
    link.click()
    page.wait_for_url(f"{base}/demandes/{first.reference}")
    expect(page.get_by_role("heading", level=1)).to_have_text(first.summary)
    expect(state(page)).to_have_text("OUVERT")
    expect(page.locator('a[href="tel:+3281123456"]')).to_have_text("081 12 34 56")
    expect(page.locator("a", has_text="Itinéraire")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/directions\?to=50\.46")
    )

    # ---- plans the visit: the message follows the date and time chosen
    open_action(page, "Intervention en cours")
    message = page.get_by_label("Message")
    expect(message).to_have_value("Bonjour,\nL’intervention est prévue le DATE à HEURE.")
    day = weekday_ahead(2)
    page.get_by_label("Date de l’intervention").fill(day.isoformat())
    page.get_by_label("Heure", exact=True).fill("13:30")
    expected = planning.planned_message(planning.to_utc(day, time(13, 30)))
    expect(message).to_have_value(expected)
    other_day = weekday_ahead(3)
    page.get_by_label("Date de l’intervention").fill(other_day.isoformat())
    expected = planning.planned_message(planning.to_utc(other_day, time(13, 30)))
    expect(message).to_have_value(expected)
    expect(page.get_by_text("Attention, le message sera envoyé par mail à :")).to_be_visible()
    submit_action(page, "plan")

    expect(state(page)).to_have_text("EN COURS")
    expect(page.locator("#ticket-actions [role=status]")).to_have_text(
        "L’intervention est planifiée. La demande est passée de « OUVERT » à « EN COURS »."
    )
    planned_day = planning.date_text(planning.to_utc(other_day, time(13, 30)))
    expect(page.locator("#ticket-activity li").first).to_contain_text(
        f"a planifié l’intervention le {planned_day}"
    )
    expect(page.locator("#ticket-actions summary").first).to_have_text(
        re.compile("^Intervention terminée")
    )
    assert page.url == f"{base}/demandes/{first.reference}"  # in place, no reload
    received = mails.new()
    assert set(received) == {ASSISTANT, COORDINATOR, TEACHER}
    assert all("Intervention prévue le" in subject for subject in received.values())

    # ---- finishes it with a summary and a photo taken with the phone
    photo = tmp_path / "IMG_0042.jpg"
    Image.new("RGB", (120, 90), (30, 120, 200)).save(photo, "JPEG")
    open_action(page, "Intervention terminée")
    page.get_by_label("Résumé de l’intervention").fill("Alimentation de l’écran remplacée.")
    page.locator("#finish-photos").set_input_files(str(photo))
    submit_action(page, "finish")
    expect(state(page)).to_have_text("TERMINÉ")
    expect(page.locator("#ticket-state")).to_contain_text("1 approbation nécessaire")
    expect(page.locator("#ticket-state")).to_contain_text("Claire Dumont")
    expect(page.locator("#ticket-interventions")).to_contain_text(
        "Alimentation de l’écran remplacée."
    )
    expect(page.locator("#ticket-files img")).to_have_count(1)
    # Nothing left for the supplier to do but hand it to a technician.
    expect(page.locator("#ticket-actions summary")).to_have_text(
        [re.compile("^Confier à un·e technicien·ne")]
    )
    received = mails.new()
    assert set(received) == {ASSISTANT, COORDINATOR, TEACHER}
    assert "1 approbation nécessaire" in received[TEACHER]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    sign_out(page)

    # ---- the teacher approves: FERMÉ
    sign_in(page, TEACHER, base=base)
    page.goto(f"{base}/demandes/{first.reference}")
    expect(state(page)).to_have_text("TERMINÉ")
    open_action(page, "Approuver")
    submit_action(page, "approve")
    expect(state(page)).to_have_text("FERMÉ")
    expect(page.locator("#ticket-actions summary")).to_have_count(0)
    expect(page.locator("#ticket-activity li").first).to_contain_text("a approuvé l’intervention")
    received = mails.new()
    assert set(received) == {SUPPLIER_REFERENCE, ASSISTANT}

    # ---- another ticket is reopened by the teacher: the procedure starts over
    page.goto(f"{base}/demandes/{second.reference}")
    expect(state(page)).to_have_text("TERMINÉ")
    open_action(page, "Rouvrir")
    page.get_by_label("Pourquoi le problème n’est-il pas résolu ?").fill(
        "Les touches ne répondent toujours pas."
    )
    submit_action(page, "reopen")
    expect(state(page)).to_have_text("OUVERT")
    expect(page.locator("#ticket-activity li").first).to_contain_text("a rouvert la demande")
    expect(page.locator("#ticket-actions summary")).to_have_count(0)
    received = mails.new()
    assert set(received) == {SUPPLIER_REFERENCE, ASSISTANT, COORDINATOR}
    sign_out(page)

    # ---- the supplier can plan it again; the first visit stays in the history
    sign_in(page, SUPPLIER_USER, base=base)
    page.goto(f"{base}/demandes/{second.reference}")
    expect(state(page)).to_have_text("OUVERT")
    expect(page.locator("#ticket-interventions")).to_contain_text(
        "Avant la réouverture de la demande"
    )
    open_action(page, "Intervention en cours")
    page.get_by_label("Date de l’intervention").fill(day.isoformat())
    page.get_by_label("Heure", exact=True).fill("09:00")
    expect(page.get_by_label("Message")).to_have_value(
        planning.planned_message(planning.to_utc(day, time(9, 0)))
    )
    submit_action(page, "plan")
    expect(state(page)).to_have_text("EN COURS")
    received = mails.new()
    assert set(received) == {ASSISTANT, COORDINATOR, TEACHER}

    assert SECONDARY not in {r for m in smtp_server.messages for r in m["to"]}
    assert problems == []
