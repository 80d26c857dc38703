"""The dev mailbox in real Chromium: the buttons of a mail's HTML part open the page itself.

The HTML part is shown in a sandboxed frame; every Relais page refuses to be framed, so a button
that opened inside the frame would show nothing. Pressed, it must navigate the whole tab.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.auth.invitations import InvitationRequest, invite
from app.devmail import mailbox
from app.models import Role
from app.models.types import utcnow
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support.tickets import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-BE", timezone_id="Europe/Brussels")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _invitation(world) -> None:
    invite(
        world.assistant,
        InvitationRequest(email="nouveau@ecole.example.com", role=Role.TEACHER, site=world.site),
    )


def _approval(world) -> None:
    """A finished visit: the teacher's mail asks for the approval."""
    ticket = world.new_ticket()
    now = utcnow()
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=now - timedelta(hours=2)),
        now=now - timedelta(days=1),
    )
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Écran remplacé."),
        now=now,
    )


@pytest.mark.parametrize(
    ("make", "button", "recipient", "lands_on", "heading"),
    [
        (_invitation, "S’inscrire", "nouveau@ecole.example.com", "/inscription/", "S’inscrire"),
        (
            _approval,
            "Approuver : le problème est résolu",
            "claire@ecole.example.com",
            "/reponse/",
            "Approuver l’intervention",
        ),
    ],
    ids=["invitation", "approval"],
)
def test_a_button_of_the_mail_opens_the_page(
    app, live_server, page, run_jobs, make, button, recipient, lands_on, heading
):
    # The links the mail carries point at the server Chromium talks to.
    app.config["RELAIS_BASE_URL"] = live_server.url
    world = build_world()
    make(world)
    run_jobs(app)
    [message] = [
        m
        for m in mailbox.messages()
        if recipient in m.recipients and (lands_on != "/reponse/" or "approbation" in m.subject)
    ]
    mailbox_page = f"{live_server.url}/dev/mailbox/{message.key}"
    page.goto(mailbox_page)

    page.frame_locator("iframe.mail-frame").get_by_role("link", name=button).click()

    page.wait_for_url(re.compile(re.escape(live_server.url + lands_on)))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.url != mailbox_page
