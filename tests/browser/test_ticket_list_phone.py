"""The list « Demandes » in real Chromium: htmx filters on a phone, and the same without JS."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.tickets.service import NewTicket, create_ticket
from tests.support.tickets import NOW, build_world
from tests.support.web import sign_in

pytestmark = pytest.mark.browser


def _tickets(world):
    made = {}
    for days, (key, summary, supplier) in enumerate(
        [
            ("screen", "Écran interactif noir", world.supplier),
            ("keyboard", "Clavier : touches inopérantes", world.supplier),
            ("battery", "Batterie du portable HS", world.supplier),
            ("theirs", "Clavier d’un autre", world.other_supplier),
        ]
    ):
        made[key] = create_ticket(
            world.assistant,
            NewTicket(
                request_type_id=world.request_type.id,
                summary=summary,
                description="Diagnostic.",
                site_id=world.site.id,
                contact_name="Claire Dumont",
                contact_email=world.teacher.email,
                equipment_serial=f"SN-{days:04d}",
                equipment_description="Lot 01 - Écran interactif",
                supplier_id=supplier.id,
            ),
            now=NOW - timedelta(days=10 - days),
        ).reference
    db.session.commit()
    return made


def _shown(page) -> list[str]:
    return page.locator("#ticket-results a.row-link").all_inner_texts()


def test_filters_refresh_the_results_in_place_and_the_address_follows(live_server, phone_page):
    world = build_world()
    made = _tickets(world)
    page = phone_page
    sign_in(page, world.supplier_user, base=live_server.url)
    page.goto(f"{live_server.url}/demandes")
    assert _shown(page) == [made["battery"], made["keyboard"], made["screen"]]
    assert page.evaluate("document.documentElement.scrollWidth <= screen.width")
    page.evaluate("window.stillTheSamePage = true")

    # Typing searches after a pause, without reloading the page; the address follows.
    page.get_by_label("La demande contient…").fill("clavier")
    page.wait_for_url(re.compile(r"/demandes\?q=clavier$"))
    page.get_by_text("1 demande", exact=True).wait_for()
    assert _shown(page) == [made["keyboard"]]  # never the other company's
    # A filter keeps the search.
    page.get_by_label("État").select_option(label="Toutes les demandes")
    page.wait_for_url(re.compile(r"q=clavier&etat=toutes$"))
    # Sorting keeps the filters, and a filter changed afterwards keeps the sort.
    page.get_by_label("La demande contient…").fill("")
    page.wait_for_url(re.compile(r"/demandes\?etat=toutes$"))
    page.locator("a.sort-link", has_text="Résumé").click()
    page.wait_for_url(re.compile(r"etat=toutes&tri=resume&ordre=asc$"))
    page.locator("th[aria-sort=ascending]", has_text="Résumé").wait_for()
    assert _shown(page) == [made["battery"], made["keyboard"], made["screen"]]
    page.get_by_label("Créateur").select_option(label=world.assistant.full_name)
    page.wait_for_url(re.compile(r"createur=\d+&tri=resume&ordre=asc$"))
    assert page.evaluate("window.stillTheSamePage === true")

    # Back: the previous address, its filters and its results.
    page.go_back()
    page.wait_for_url(re.compile(r"/demandes\?etat=toutes&tri=resume&ordre=asc$"))
    page.locator("th[aria-sort=ascending]", has_text="Résumé").wait_for()
    assert page.get_by_label("État").input_value() == "toutes"
    assert page.get_by_label("Créateur").input_value() == ""

    # A card is one big target: a tap on its date opens the ticket.
    # force: the cell lies under the card's stretched link.
    page.locator("tr", has_text=made["screen"]).locator("td.col-creation").click(force=True)
    page.wait_for_url(re.compile(rf"/demandes/{made['screen']}$"))


def test_the_same_list_without_javascript(live_server, browser):
    world = build_world()
    made = _tickets(world)
    context = browser.new_context(java_script_enabled=False, locale="fr-BE")
    page = context.new_page()
    sign_in(page, world.supplier_user, base=live_server.url)
    page.goto(f"{live_server.url}/demandes")
    page.get_by_label("La demande contient…").fill("portable")
    page.get_by_label("État").select_option(label="Toutes les demandes")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"q=portable&etat=toutes"))
    assert _shown(page) == [made["battery"]]
    # A header sorts; the form then carries the sort with the next filter.
    page.get_by_label("La demande contient…").fill("")
    page.get_by_role("button", name="Filtrer").click()
    page.locator("a.sort-link", has_text="Référence").click()
    page.wait_for_url(re.compile(r"tri=reference&ordre=asc"))
    assert _shown(page) == [made["screen"], made["keyboard"], made["battery"]]
    page.get_by_label("État").select_option(label="Demandes ouvertes")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"etat=ouvertes.*tri=reference&ordre=asc"))
    assert _shown(page) == [made["screen"], made["keyboard"], made["battery"]]
    context.close()


def test_in_german_the_cards_use_german_colons_and_words_hyphenate(live_server, phone_page):
    world = build_world()
    _tickets(world)
    page = phone_page
    sign_in(page, world.supplier_user, base=live_server.url)
    world.supplier_user.language = "de"  # chosen on the profile
    db.session.commit()
    page.goto(f"{live_server.url}/demandes")
    assert page.locator("html").get_attribute("lang") == "de-BE"
    cell = page.locator("#ticket-results td[data-label]").first
    before = cell.evaluate("e => getComputedStyle(e, '::before').content")
    assert before == '"Art: "'  # not the French « Art : »
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).hyphens") == "auto"
    assert page.evaluate("document.documentElement.scrollWidth <= screen.width")
