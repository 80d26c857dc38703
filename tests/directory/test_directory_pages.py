"""The directory pages: school and equipment searches, school and supplier pages, the change of a
company's reference address, htmx fragments and escaping."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import current_app, url_for
from sqlalchemy import event

from app.directory.queries import fold_text, parse_school_query
from app.extensions import db
from app.models import Role, Supplier
from tests.support import factories
from tests.support.web import csrf_token

HTMX = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def u(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def text(response) -> str:
    return response.get_data(as_text=True)


def result_links(html: str) -> list[str]:
    """The school pages the results link to, in order."""
    return re.findall(r'href="(/annuaire/ecoles/\d+/\d+)"', html)


@pytest.fixture
def staff(client, login):
    user = factories.user(Role.ASSISTANT)
    db.session.commit()
    login(user)
    return user


@pytest.fixture
def coordinator(client, login):
    user = factories.user(Role.COORDINATOR)
    db.session.commit()
    login(user)
    return user


@pytest.fixture
def schools(app):
    """Borlon (the example school of docs/domain.md, two sites), an accented name, and Namur."""
    borlon = factories.establishment(
        fase=2559, name="Ecole fondamentale communale de Borlon", network="Officiel subventionné"
    )
    main = factories.site(
        borlon,
        fi=5136,
        address="Tige du Bois de Gras 16B",
        postal_code="6941",
        locality="BORLON",
        latitude=50.3797,
        longitude=5.4152,
        teaching="Maternel ordinaire, Primaire ordinaire",
    )
    annex = factories.site(
        borlon, fi=5137, address="Rue de Tohogne 2", postal_code="6941", locality="TOHOGNE"
    )
    ath = factories.establishment(fase=1234, name="ATHÉNÉE ROYAL D’ATH")
    ath_site = factories.site(
        ath, fi=777, address="Chemin des Primevères 1", postal_code="7800", locality="ATH"
    )
    namur = factories.establishment(fase=4321, name="Institut Saint-Louis")
    namur_site = factories.site(namur, fi=888, postal_code="5000", locality="NAMUR")
    db.session.commit()
    return {"main": main, "annex": annex, "ath": ath_site, "namur": namur_site}


def school_url(site) -> str:
    return u("directory.school", fe=site.establishment.fase, fi=site.fi)


# ------------------------------------------------------------------ parsing and folding


def test_fold_text_removes_accents_and_case():
    assert fold_text("ATHÉNÉE Royal d’Ath") == "athenee royal d'ath"
    assert fold_text("Borlon-Tohogne") == "borlon tohogne"


@pytest.mark.parametrize(
    "name",
    ["Athénée royal d’Ath", "ATHÉNÉE ROYAL D'ATH", "athenee royal d‘ath", "Athenee-Royal d'Ath"],
)
def test_every_spelling_is_found(client, staff, name):
    site = factories.site(factories.establishment(name=name))
    db.session.commit()
    links = result_links(text(client.get(u("directory.schools", q="Athénée royal d'ath"))))
    assert links == [school_url(site)]
    assert result_links(text(client.get(u("directory.schools", q="athenee royale")))) == []


def test_parse_school_query():
    parsed = parse_school_query("FI 5136 - FE 2559 - Ecole (Tige du Bois de Gras 16B 6941 BORLON)")
    assert (parsed.fe, parsed.fi, parsed.numbers, parsed.words) == (2559, 5136, [], [])
    parsed = parse_school_query("fe2559 borlon 6941")
    assert (parsed.fe, parsed.fi, parsed.numbers, parsed.words) == (
        2559,
        None,
        ["6941"],
        ["borlon"],
    )
    assert parse_school_query("   ").empty


# ------------------------------------------------------------------ school search


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("FE 2559", ["main", "annex"]),
        ("2559", ["main", "annex"]),
        ("FI 5136", ["main"]),
        ("5136", ["main"]),
        ("borlon", ["main", "annex"]),
        ("BORLON fondamentale", ["main", "annex"]),
        ("tohogne", ["annex"]),
        ("6941", ["main", "annex"]),
        ("7800", ["ath"]),
        ("Namur", ["namur"]),
        ("athenee", ["ath"]),
        ("Athénée d'Ath", ["ath"]),
        ("primeveres", ["ath"]),
        ("saint louis", ["namur"]),
        ("FI 5136 - FE 2559 - Ecole fondamentale de Borlon (Tige 16B 6941 BORLON)", ["main"]),
        ("introuvable", []),
    ],
)
def test_school_search(client, staff, schools, q, expected):
    response = client.get(u("directory.schools", q=q))
    assert response.status_code == 200
    assert result_links(text(response)) == [school_url(schools[k]) for k in expected]


def test_name_and_locality_matches_come_before_street_names(client, staff, schools):
    elsewhere = factories.site(
        factories.establishment(name="Athénée Abc"), address="Rue de Borlon 1", locality="BONSIN"
    )
    db.session.commit()
    links = result_links(text(client.get(u("directory.schools", q="borlon"))))
    assert links == [
        school_url(schools["main"]),
        school_url(schools["annex"]),
        school_url(elsewhere),
    ]


def test_search_shows_the_ticket_line_and_teaching(client, staff, schools):
    html = text(client.get(u("directory.schools", q="FI 5136")))
    assert (
        "FI 5136 - FE 2559 - Ecole fondamentale communale de Borlon "
        "(Tige du Bois de Gras 16B 6941 BORLON)"
    ) in html
    assert "<li>Maternel ordinaire</li><li>Primaire ordinaire</li>" in html
    assert "1 implantation trouvée" in html


def test_search_without_match_says_so(client, staff, schools):
    html = text(client.get(u("directory.schools", q="zzz")))
    assert "Aucune implantation ne correspond à « zzz »." in html


def test_search_form_works_without_javascript(client, staff, schools):
    html = text(client.get(u("directory.schools", q="borlon")))
    form = re.search(r"<form[^>]*role=\"search\"[^>]*>", html).group(0)
    assert 'method="get"' in form
    assert 'action="/annuaire/ecoles"' in form
    # The search typed is in the box: a link or the back button restores it.
    assert re.search(r'<input[^>]*name="q"[^>]*value="borlon"', html)
    assert 'type="submit"' in html


def test_search_input_drives_htmx(client, staff, schools):
    html = text(client.get(u("directory.schools")))
    box = re.search(r'<input[^>]*name="q"[^>]*>', html).group(0)
    assert 'hx-get="/annuaire/ecoles"' in box
    assert 'hx-trigger="input changed delay:300ms, search"' in box
    assert 'hx-target="#school-results"' in box
    assert 'hx-push-url="true"' in box
    assert 'id="school-results"' in html


def test_htmx_search_returns_only_the_fragment(client, staff, schools):
    response = client.get(u("directory.schools", q="borlon"), headers=HTMX)
    html = text(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert "<form" not in html
    assert school_url(schools["main"]) in html
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_request_gets_the_whole_page(client, staff, schools):
    html = text(client.get(u("directory.schools", q="borlon"), headers=BOOSTED))
    assert html.lstrip().startswith("<!doctype html>")
    assert school_url(schools["main"]) in html


def test_school_search_is_paginated(client, staff):
    est = factories.establishment(fase=3000, name="Ecole du Grand Nombre")
    for n in range(30):
        factories.site(est, fi=60000 + n, locality="DINANT", postal_code="5500")
    factories.site(factories.establishment(name="Autre école"), locality="ARLON")
    db.session.commit()

    first = text(client.get(u("directory.schools", q="dinant")))
    assert len(result_links(first)) == 25
    assert "30 implantations trouvées" in first
    assert "Page 1 sur 2" in first
    assert 'href="/annuaire/ecoles?q=dinant&amp;page=2"' in first

    second = client.get(u("directory.schools", q="dinant", page=2), headers=HTMX)
    links = result_links(text(second))
    assert len(links) == 5
    assert not set(links) & set(result_links(first))
    assert 'href="/annuaire/ecoles?q=dinant&amp;page=1"' in text(second)

    beyond = client.get(u("directory.schools", q="dinant", page=99))
    assert beyond.status_code == 200
    assert client.get("/annuaire/ecoles?page=abc").status_code == 200


def test_school_name_is_escaped(client, staff):
    est = factories.establishment(fase=6666, name="<script>alert('x')</script> Ecole")
    factories.site(est, fi=6667)
    db.session.commit()
    for url in (u("directory.schools", q="ecole"), u("directory.school", fe=6666, fi=6667)):
        html = text(client.get(url))
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(" in html


def test_search_term_is_escaped_in_the_page(client, staff, schools):
    html = text(client.get(u("directory.schools", q='"><b>x</b>')))
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def _count_statements(client, url) -> int:
    statements = []

    def record(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_search_pages_do_not_query_per_row(client, staff):
    supplier = factories.supplier()
    est = factories.establishment(name="Ecole témoin")
    site = factories.site(est, locality="SPA")
    factories.equipment(site=site, supplier=supplier, lot="Lot 07")
    db.session.commit()
    # Warm up: the first search of a process checks once which collation PostgreSQL offers.
    client.get(u("directory.schools", q="spa"))
    schools_one = _count_statements(client, u("directory.schools", q="spa"))
    equipment_one = _count_statements(client, u("directory.equipment", lot="Lot 07"))

    for _ in range(20):
        other = factories.site(factories.establishment(name="Ecole témoin"), locality="SPA")
        factories.equipment(site=other, supplier=factories.supplier(), lot="Lot 07")
    db.session.commit()
    assert _count_statements(client, u("directory.schools", q="spa")) == schools_one
    assert _count_statements(client, u("directory.equipment", lot="Lot 07")) == equipment_one


# ------------------------------------------------------------------ school page


def test_school_page(client, staff, schools):
    site = schools["main"]
    supplier = factories.supplier(name="Maintenance SA")
    factories.equipment(
        site=site,
        supplier=supplier,
        lot="Lot 00",
        model="Exemple de matériel",
        label="ENXX-LOTXX-12345",
        serial="sn-001",
        warranty_end=date(2027, 12, 31),
    )
    factories.equipment(site=schools["annex"], label="ENXX-LOTXX-99999")
    factories.user(
        Role.TEACHER,
        site=site,
        full_name="Enseignant de démonstration",
        email="prof@ecole.example.com",
    )
    factories.user(Role.TEACHER, site=schools["annex"], full_name="Prof de l'annexe")
    db.session.commit()

    response = client.get(school_url(site))
    assert response.status_code == 200
    html = text(response)
    assert "Ecole fondamentale communale de Borlon" in html
    assert "Officiel subventionné" in html
    assert "Tige du Bois de Gras 16B 6941 BORLON" in html
    # Directions from the coordinates, no map script.
    assert "https://www.openstreetmap.org/directions?to=50.379700%2C5.415200" in html
    assert 'href="geo:50.379700,5.415200' in html
    # The other site of the establishment, linked.
    assert school_url(schools["annex"]) in html
    # Its teacher, with the e-mail; not the annex's.
    assert "Enseignant de démonstration" in html
    assert 'href="mailto:prof@ecole.example.com"' in html
    assert "Prof de l&#39;annexe" not in html
    # Its equipment, with the supplier and the warranty in Belgian French.
    assert "ENXX-LOTXX-12345" in html
    assert "SN-001" in html
    assert "31 décembre 2027" in html
    assert u("directory.supplier", supplier_id=supplier.id) in html
    assert "ENXX-LOTXX-99999" not in html


def test_school_page_without_coordinates_or_data(client, staff):
    site = factories.site(latitude=None, longitude=None)
    db.session.commit()
    html = text(client.get(school_url(site)))
    assert "openstreetmap" not in html
    assert "Non renseignées" in html
    assert "Aucun matériel enregistré à cette implantation." in html
    assert "Cet établissement n’a pas d’autre implantation." in html


def test_unknown_school_is_404(client, staff):
    assert client.get(u("directory.school", fe=1, fi=2)).status_code == 404


# ------------------------------------------------------------------ suppliers


@pytest.fixture
def company(app, schools):
    supplier = factories.supplier(
        name="Maintenance SA",
        reference_email="tickets@maintenance.example.com",
        phone="081 23 45 67",
    )
    factories.user(
        Role.SUPPLIER,
        supplier=supplier,
        full_name="Alice Technicienne",
        email="alice@maintenance.example.com",
    )
    factories.user(
        Role.SUPPLIER,
        supplier=supplier,
        full_name="Bruno Ancien",
        email="bruno@maintenance.example.com",
        active=False,
    )
    for _ in range(3):
        factories.equipment(site=schools["main"], supplier=supplier, lot="Lot 02")
    factories.equipment(site=schools["ath"], supplier=supplier, lot="Lot 02")
    factories.equipment(site=schools["ath"], supplier=supplier, lot="Lot 05")
    factories.equipment(site=schools["ath"])  # nobody's
    db.session.commit()
    return supplier


def test_suppliers_list(client, staff, company):
    factories.supplier(name="Zèbre Informatique", reference_email="zebre@example.com")
    db.session.commit()
    html = text(client.get(u("directory.suppliers")))
    row = re.search(r"<tr>\s*<td class=\"primary\"><a[^>]*>Maintenance SA</a>.*?</tr>", html, re.S)
    assert row
    cells = re.findall(r'class="num">(\d+)<', row.group(0))
    assert cells == ["2", "5"]  # two users, five items
    assert "tickets@maintenance.example.com" in row.group(0)
    assert html.index("Maintenance SA") < html.index("Zèbre Informatique")


def test_supplier_page(client, staff, company):
    html = text(client.get(u("directory.supplier", supplier_id=company.id)))
    assert "tickets@maintenance.example.com" in html
    assert "Reçoit les notifications" in html
    assert "Elle n’appartient à aucun utilisateur de la société" in html
    assert "Alice Technicienne" in html
    assert "alice@maintenance.example.com" in html
    assert "Désactivé" in html  # Bruno
    lots = re.findall(r"(Lot \d\d)</a></td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", html)
    assert lots == [("Lot 02", "4", "2"), ("Lot 05", "1", "1")]
    # An assistant sees the page but not the form.
    assert 'name="reference_email"' not in html


def test_reference_address_of_a_member_is_said(client, staff, company):
    company.reference_email = "alice@maintenance.example.com"
    db.session.commit()
    html = text(client.get(u("directory.supplier", supplier_id=company.id)))
    assert "C’est l’adresse de Alice Technicienne, utilisateur de la société." in html


def test_supplier_sees_its_own_page(client, login, company):
    me = db.session.scalars(db.select(Supplier).where(Supplier.id == company.id)).one().users[0]
    login(me)
    response = client.get(u("directory.supplier", supplier_id=company.id))
    assert response.status_code == 200
    assert "Alice Technicienne" in text(response)


# ------------------------------------------------------------------ changing the reference address


def contact_url(supplier) -> str:
    return u("directory.supplier_contact", supplier_id=supplier.id)


def reload(supplier) -> Supplier:
    db.session.expire_all()
    return db.session.get(Supplier, supplier.id)


def test_coordinator_sees_the_form(client, coordinator, company):
    html = text(client.get(u("directory.supplier", supplier_id=company.id)))
    assert re.search(
        r'<input[^>]*name="reference_email"[^>]*value="tickets@maintenance.example.com"', html
    )
    assert f'hx-post="{contact_url(company)}"' in html
    assert 'hx-target="#supplier-contact"' in html


def test_change_reference_address_without_javascript(client, coordinator, company):
    response = client.post(
        contact_url(company),
        data={
            "reference_email": "  Support@Maintenance.example.com ",
            "phone": "0123/456789",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == u("directory.supplier", supplier_id=company.id)
    saved = reload(company)
    assert saved.reference_email == "support@maintenance.example.com"
    assert saved.phone == "0123/456789"
    page = text(client.get(response.headers["Location"]))
    assert "Coordonnées de la société enregistrées." in page
    assert "support@maintenance.example.com" in page


def test_change_reference_address_with_htmx(client, coordinator, company):
    response = client.post(
        contact_url(company),
        data={"reference_email": "alice@maintenance.example.com", "phone": ""},
        headers={**HTMX, "X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html
    assert html.lstrip().startswith("<section") or 'id="supplier-contact"' in html
    assert "Coordonnées de la société enregistrées." in html
    assert "C’est l’adresse de Alice Technicienne" in html
    assert reload(company).reference_email == "alice@maintenance.example.com"
    assert reload(company).phone == ""


@pytest.mark.parametrize(
    ("email", "phone", "message"),
    [
        ("pas-une-adresse", "", "Cette adresse e-mail n’est pas valide."),
        ("", "", "Indiquez l’adresse e-mail de référence."),
        ("ok@maintenance.example.com", "appelez-moi", "Ce numéro de téléphone n’est pas valide"),
    ],
)
def test_invalid_reference_address_comes_back(client, coordinator, company, email, phone, message):
    response = client.post(
        contact_url(company),
        data={"reference_email": email, "phone": phone, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 422
    html = text(response)
    assert "<html" in html  # the whole page, without JavaScript
    assert message in html
    assert re.search(
        rf'<input[^>]*name="reference_email"[^>]*value="{re.escape(email)}"', html
    ) or (not email and 'aria-invalid="true"' in html)
    if phone:
        assert f'value="{phone}"' in html
    saved = reload(company)
    assert (saved.reference_email, saved.phone) == (
        "tickets@maintenance.example.com",
        "081 23 45 67",
    )


def test_invalid_reference_address_with_htmx_returns_the_block(client, coordinator, company):
    response = client.post(
        contact_url(company),
        data={"reference_email": "<b>pas valide", "phone": ""},
        headers={**HTMX, "X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 422
    html = text(response)
    assert "<html" not in html
    assert 'id="supplier-contact"' in html
    assert "Cette adresse e-mail n’est pas valide." in html
    assert 'value="&lt;b&gt;pas valide"' in html
    assert 'aria-describedby="reference_email-hint reference_email-error"' in html


def test_assistant_cannot_change_the_reference_address(client, staff, company):
    response = client.post(
        contact_url(company),
        data={"reference_email": "pirate@example.com", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 403
    assert reload(company).reference_email == "tickets@maintenance.example.com"


def test_change_without_csrf_is_refused(client, coordinator, company):
    response = client.post(contact_url(company), data={"reference_email": "x@example.com"})
    assert response.status_code == 400
    assert reload(company).reference_email == "tickets@maintenance.example.com"


# ------------------------------------------------------------------ equipment


@pytest.fixture
def stock(app, schools):
    acme = factories.supplier(name="Acme")
    other = factories.supplier(name="Autre")
    items = {
        "laptop": factories.equipment(
            site=schools["main"],
            supplier=acme,
            lot="Lot 01",
            model="Ordinateur portable 14 pouces",
            label="EN01-LOT01-00042",
            serial="PF3XK9",
            warranty_end=date(2026, 8, 20),
        ),
        "screen": factories.equipment(
            site=schools["ath"],
            supplier=other,
            lot="Lot 03",
            model="Écran interactif 75 pouces",
            label="EN03-LOT03-00007",
            serial="SCR-77",
        ),
        "loose": factories.equipment(
            lot="Lot 03", model="Tablette", label=None, serial="TAB-1", supplier=acme
        ),
    }
    db.session.commit()
    return {"acme": acme, "other": other, **items}


def equipment_rows(html: str) -> list[str]:
    return re.findall(r'<td class="primary[^"]*">(?:<a [^>]*>)?([^<]*)(?:</a>)?<br>', html)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"q": "EN01-LOT01-00042"}, ["EN01-LOT01-00042"]),
        ({"q": "lot01-00042"}, ["EN01-LOT01-00042"]),
        ({"q": "pf3xk9"}, ["EN01-LOT01-00042"]),
        ({"q": "ecran"}, ["EN03-LOT03-00007"]),
        ({"q": "Écran interactif"}, ["EN03-LOT03-00007"]),
        ({"q": "lot 03"}, ["EN03-LOT03-00007", "—"]),
        ({"lot": "Lot 03"}, ["EN03-LOT03-00007", "—"]),
        ({"q": "pouces", "lot": "Lot 01"}, ["EN01-LOT01-00042"]),
        ({"fournisseur": "acme"}, ["EN01-LOT01-00042", "EN03-LOT03-00007", "—"]),  # ignored
        ({"q": "100%_"}, []),
    ],
)
def test_equipment_search(client, staff, stock, args, expected):
    response = client.get(u("directory.equipment", **args))
    assert response.status_code == 200
    assert equipment_rows(text(response)) == expected


def test_equipment_search_by_supplier(client, staff, stock):
    html = text(client.get(u("directory.equipment", fournisseur=stock["acme"].id)))
    assert equipment_rows(html) == ["EN01-LOT01-00042", "—"]
    assert re.search(
        rf'<option selected value="{stock["acme"].id}">Acme</option>', html
    ) or re.search(rf'<option[^>]*value="{stock["acme"].id}"[^>]*selected[^>]*>', html)


def test_equipment_results_show_everything(client, staff, stock, schools):
    html = text(client.get(u("directory.equipment", q="EN01")))
    assert "Lot 01" in html
    assert "Ordinateur portable 14 pouces" in html
    assert "PF3XK9" in html
    assert school_url(schools["main"]) in html
    assert u("directory.supplier", supplier_id=stock["acme"].id) in html
    assert "20 août 2026" in html


def test_equipment_htmx_fragment_and_pagination(client, staff):
    for n in range(27):
        factories.equipment(lot="Lot 09", label=f"EN09-LOT09-{n:05d}")
    db.session.commit()
    fragment = client.get(u("directory.equipment", q="lot09"), headers=HTMX)
    html = text(fragment)
    assert "<html" not in html
    assert len(equipment_rows(html)) == 25
    assert "27 éléments trouvés" in html
    assert 'href="/annuaire/materiel?q=lot09&amp;page=2"' in html
    second = text(client.get(u("directory.equipment", q="lot09", page=2)))
    assert equipment_rows(second) == ["EN09-LOT09-00025", "EN09-LOT09-00026"]
    assert "<html" in second
    boosted = text(client.get(u("directory.equipment", q="lot09"), headers=BOOSTED))
    assert "<html" in boosted


def test_equipment_search_inputs_drive_htmx(client, staff, stock):
    html = text(client.get(u("directory.equipment")))
    for name in ("q", "lot", "fournisseur"):
        element = re.search(rf'<(input|select)[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'hx-get="/annuaire/materiel"' in element
        assert 'hx-target="#equipment-results"' in element
        assert 'hx-push-url="true"' in element
        assert 'hx-include="closest form"' in element
