"""Sign in, move around and sign out in real Chromium, with and without JavaScript."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.support import factories
from tests.support.web import sign_in

pytestmark = pytest.mark.browser


def test_sign_in_and_out_on_a_phone(live_server, phone_page):
    user = factories.user("teacher", full_name="Élise Dupont")
    db.session.commit()
    sign_in(phone_page, user, base=live_server.url)
    # Nothing wider than the screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth <= screen.width")
    # The boosted sign-in replaced the body: the CSRF header must be the new session's,
    # or the next htmx request would be refused.
    header = phone_page.locator("[hx-headers]").first.get_attribute("hx-headers")
    form_token = phone_page.locator("input[name=csrf_token]").first.input_value()
    assert form_token in header
    phone_page.locator("summary", has_text="Mon compte : Élise Dupont").click()
    phone_page.get_by_role("button", name="Se déconnecter").click()
    phone_page.get_by_text(
        "Vous êtes déconnecté·e, sur cet appareil comme sur les autres."
    ).wait_for()
    assert phone_page.url.endswith("/connexion")


def test_wrong_password_message_without_javascript(live_server, browser):
    user = factories.user()
    db.session.commit()
    context = browser.new_context(java_script_enabled=False, locale="fr-BE")
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill("mauvais mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Adresse e-mail ou mot de passe incorrect.").wait_for()
    assert page.get_by_label("Adresse e-mail").input_value() == user.email
    context.close()


def test_boosted_link_to_a_missing_page_shows_the_404(live_server, phone_page):
    user = factories.user()
    db.session.commit()
    sign_in(phone_page, user, base=live_server.url)
    phone_page.evaluate(
        "() => { const a = document.createElement('a'); a.href = '/nulle-part'; a.id = 'x';"
        " a.textContent = 'x'; document.querySelector('main').append(a); htmx.process(a); }"
    )
    phone_page.click("#x")
    phone_page.get_by_role("heading", name="Page introuvable").wait_for()


def test_failed_messages_count_in_the_admins_menu_fits_a_phone(live_server, phone_page):
    from app.models import OutboxMessage

    admin = factories.user("admin", full_name="Nathalie Renard")
    db.session.add(
        OutboxMessage(
            kind="plan",
            recipient="x@example.com",
            subject="s",
            body_text="b",
            status="failed",
            last_error="Adresse refusée : x@example.com (550 No such user)",
        )
    )
    db.session.commit()
    sign_in(phone_page, admin, base=live_server.url)
    badge = phone_page.locator(".mainnav .nav-badge")
    assert badge.inner_text().startswith("1")
    # The badge's hidden words must not widen the page beyond the screen. (On a mobile viewport
    # innerWidth grows with the content, so compare with the screen's own width.)
    assert phone_page.evaluate("document.documentElement.scrollWidth <= screen.width")


def test_an_error_answering_an_htmx_form_is_a_message_not_a_nested_page(
    live_server, phone_page, world
):
    """htmx swaps error answers too: a whole error page, menu included, used to land inside the
    form that asked. The message now goes to the page's message area; the form keeps its text."""
    ticket = world.new_ticket()
    db.session.commit()
    page = phone_page
    sign_in(page, world.supplier_user, base=live_server.url)
    page.goto(f"{live_server.url}/demandes/{ticket.reference}")
    # The session's form has expired: its token no longer matches.
    page.evaluate(
        "() => { document.querySelector('[hx-headers]').setAttribute('hx-headers',"
        " JSON.stringify({'X-CSRFToken': 'expire'}));"
        " document.querySelector('#comment-form [name=csrf_token]').value = 'expire'; }"
    )
    page.get_by_label("Ajoutez un commentaire").fill("Pièce commandée.")
    page.get_by_role("button", name="Commenter").click()
    page.locator("#request-error", has_text="Formulaire expiré").wait_for()
    assert page.locator(".mainnav").count() == 1
    assert page.locator("#comment-form").count() == 1
    assert page.get_by_label("Ajoutez un commentaire").input_value() == "Pièce commandée."
