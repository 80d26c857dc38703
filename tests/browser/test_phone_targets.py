"""Phone pages without hidden corners (real Chromium, 390×844): every place in the coordinator's
menu is on screen, the links that stand alone are 44 px touch targets, and a long invited
address is readable whole on « S'inscrire ».

The boxes are measured with getBoundingClientRect. One signed-in context serves every page:
the sign-in is rate-limited per account.
"""

from __future__ import annotations

import pytest
from flask import url_for
from playwright.sync_api import expect

from app.auth import invitations
from app.extensions import db
from app.models import Role
from tests.dashboard.test_dashboard import build_handmade
from tests.support import factories
from tests.support.browser import PHONE
from tests.support.tickets import build_world
from tests.support.web import sign_in

pytestmark = pytest.mark.browser

TAP = 44
# The menu entries of a coordinator, in order (app.core.navigation).
COORDINATOR_MENU = [
    "Demandes",
    "Écoles",
    "Fournisseurs",
    "Matériel",
    "Suivi",
    "Utilisateurs",
    "À trier",
    "Congés scolaires",
]
BOX = "el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }"


def _box(locator) -> tuple[float, float, float, float]:
    return tuple(locator.evaluate(BOX))


def _assert_target(locator, what: str, *, wide: bool = False) -> None:
    assert locator.count() >= 1, f"{what}: not on the page"
    for i in range(locator.count()):
        _left, _top, width, height = _box(locator.nth(i))
        assert height >= TAP, f"{what}: {height:.0f} px high"
        if wide:
            assert width >= TAP, f"{what}: {width:.0f} px wide"


@pytest.fixture
def world(app):
    world = build_world()
    build_handmade(world)
    return world


@pytest.fixture
def coordinator_page(browser, live_server, world):
    context = browser.new_context(locale="fr-BE", timezone_id="Europe/Brussels", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, world.coordinator, base=live_server.url)
    yield page
    context.close()


def _menu_in_view(page) -> list[str]:
    """The menu's entries, each asserted wholly inside the viewport; their labels."""
    width, height = PHONE["viewport"]["width"], PHONE["viewport"]["height"]
    links = page.locator(".mainnav a")
    labels = []
    for i in range(links.count()):
        link = links.nth(i)
        left, top, w, h = _box(link)
        label = link.inner_text().strip()
        assert 0 <= left <= left + w <= width, f"« {label} » is off-screen ({left:.0f}, {w:.0f})"
        assert 0 <= top <= top + h <= height, f"« {label} » is below the fold ({top:.0f})"
        assert h >= TAP
        labels.append(label)
    return labels


def test_the_coordinators_menu_shows_every_place_with_the_current_one(
    live_server, coordinator_page, app
):
    page = coordinator_page
    assert _menu_in_view(page) == COORDINATOR_MENU
    # The current section is marked and in sight from the last entry's page too.
    page.locator(".mainnav").get_by_role("link", name="Congés scolaires").click()
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_text("Congés scolaires")
    assert _menu_in_view(page) == COORDINATOR_MENU
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_links_that_stand_alone_are_touch_targets(live_server, coordinator_page, world, app):
    page = coordinator_page
    base = live_server.url
    ticket = world.new_ticket(summary="Tableau interactif muet")
    db.session.commit()
    with app.test_request_context():
        ticket_url = url_for("tickets.show", reference=ticket.reference)
        invite_url = url_for("admin.invite")
        dashboard_url = url_for("dashboard.index", du="2026-03-01", au="2026-03-31")

    page.goto(base + ticket_url)
    _assert_target(
        page.locator(".ticket-details").get_by_role("link", name="Meuse Informatique"),
        "the supplier in the side panel",
    )
    _assert_target(
        page.get_by_role("link", name=world.teacher.email), "the contact's e-mail address"
    )

    page.goto(base + invite_url)
    _assert_target(
        page.get_by_role("link", name="Voir les invitations en attente"), "pending invitations"
    )

    page.goto(base + dashboard_url)
    _assert_target(page.get_by_role("link", name="CSV", exact=True), "the CSV export", wide=True)
    _assert_target(
        page.locator(".dash-table").get_by_role("link", name="Meuse Informatique"),
        "a supplier's name on « Suivi »",
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_long_invited_address_is_readable_whole_on_signup(app, live_server, phone_page):
    coordinator = factories.user(Role.COORDINATOR)
    company = factories.supplier(name="Informatique Mosane")
    db.session.commit()
    address = "service.apres-vente.ecole-numerique.wallonie@informatique-mosane.example.com"
    invitation = invitations.invite(
        coordinator,
        invitations.InvitationRequest(email=address, role=Role.SUPPLIER, supplier=company),
    )
    token = invitations.invitation_token(invitation)
    phone_page.goto(f"{live_server.url}/inscription/{token}")
    shown = phone_page.locator(".readonly-value", has_text="@")
    # Every character is painted inside its box, and the box inside the screen.
    assert shown.inner_text().replace("\n", "") == address
    left, _top, width, _height = _box(shown)
    assert 0 <= left <= left + width <= PHONE["viewport"]["width"]
    assert shown.evaluate("el => el.scrollWidth <= el.clientWidth")
    # The address is still sent with the form and offered to password managers as the name.
    field = phone_page.locator("input[name=email]")
    assert field.get_attribute("value") == address
    assert field.get_attribute("autocomplete") == "username"
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
