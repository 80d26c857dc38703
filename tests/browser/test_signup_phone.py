"""A supplier opens the invitation link on a phone and signs up (real Chromium, 390×844)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.auth import invitations
from app.extensions import db
from app.models import Role
from tests.support import factories

pytestmark = pytest.mark.browser


def test_supplier_signs_up_on_a_phone(app, live_server, phone_page):
    coordinator = factories.user(Role.COORDINATOR, full_name="Corinne Suivi")
    company = factories.supplier(name="Informatique Mosane")
    db.session.commit()
    invitation = invitations.invite(
        coordinator,
        invitations.InvitationRequest(
            email="fournisseur.ecolenumerique.demo@example.com",
            role=Role.SUPPLIER,
            supplier=company,
        ),
    )
    token = invitations.invitation_token(invitation)
    page = phone_page
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/inscription/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("S’inscrire")
    # The invited address is shown as text (it cannot be changed), and sent by a hidden field.
    expect(page.get_by_label("Adresse e-mail")).to_have_text(
        "fournisseur.ecolenumerique.demo@example.com"
    )
    expect(page.locator("input[name=email]")).to_have_value(
        "fournisseur.ecolenumerique.demo@example.com"
    )
    page.get_by_label("Nom complet").fill("Fournisseur de démo")

    password = page.get_by_label("Choisissez un mot de passe")
    label = page.locator("#password-strength .strength-label")
    password.press_sequentially("azertyuiop", delay=30)
    expect(label).to_have_text(re.compile(r"Faible$"))
    # The level is in a live region: a screen reader hears it change.
    expect(page.locator("#password-strength")).to_have_attribute("aria-live", "polite")

    password.fill("")
    password.press_sequentially("Tartine de speculoos au petit dej", delay=20)
    expect(label).to_have_text(re.compile(r"(Fort|Très fort)$"))

    # The consent sentence and its links, as the current portal shows them.
    expect(page.get_by_role("link", name="Politique de confidentialité").first).to_be_visible()
    page.get_by_role("button", name="S’inscrire").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Fournisseur de démo")
    expect(page.get_by_text("Bienvenue\u00a0! Votre compte est prêt.")).to_be_visible()
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
