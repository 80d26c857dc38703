"""Categories and request types named in French and German: the one rule that picks the name
(app.models.localized), its places (pages, choices, export, command line) and the admin's
« Catalogue » page."""

from __future__ import annotations

import re
from datetime import date

from flask import render_template, render_template_string
from flask_babel import force_locale
from sqlalchemy import select

from app.dashboard.exports import ticket_rows
from app.dashboard.figures import Period
from app.directory.catalogue import ensure_default_catalogue
from app.extensions import db
from app.models import PortalCategory, RequestType, Role
from app.tickets import creation
from app.tickets.queries import filter_options
from tests.support import factories
from tests.support.tickets import build_world
from tests.support.web import csrf_token


def _two_types():
    category = PortalCategory(key="TECH", name="Assistance technique", name_de="Technik")
    named = RequestType(category=category, name="Retour fournisseur", name_de="Zurück")
    unnamed = RequestType(category=category, name="Autre demande")
    db.session.add_all([category, named, unnamed])
    db.session.commit()
    return category, named, unnamed


# ------------------------------------------------------------------ the rule


def test_the_german_name_under_a_german_locale_the_french_one_otherwise(app):
    _category, named, _unnamed = _two_types()
    with app.test_request_context():
        assert str(named.label) == "Retour fournisseur"
        with force_locale("de"):
            assert str(named.label) == "Zurück"
            assert named.label.lang == "de"
            assert not named.label.missing
    # Outside any request (a job), French.
    assert str(named.label) == "Retour fournisseur"


def test_a_missing_german_name_falls_back_to_french_with_a_visible_hint(app):
    _category, _named, unnamed = _two_types()
    with app.test_request_context(), force_locale("de"):
        label = unnamed.label
        assert label.missing
        assert label.text == "Autre demande"
        assert str(label) == "Autre demande (FR)"  # plain text: mails, choices
        html = render_template_string("{{ kind.label }}", kind=unnamed)
        assert '<span lang="fr">Autre demande</span>' in html
        assert "(FR)" in html
    with app.test_request_context():  # a French reader is told nothing
        assert render_template_string("{{ kind.label }}", kind=unnamed) == "Autre demande"


def test_names_are_escaped_in_pages(app):
    category = PortalCategory(key="X", name="<b>fr</b>", name_de="<i>de</i>")
    db.session.add(RequestType(category=category, name="<script>x</script>"))
    db.session.commit()
    kind = db.session.scalar(select(RequestType))
    with app.test_request_context(), force_locale("de"):
        html = render_template_string("{{ c.label }} {{ k.label }}", c=category, k=kind)
    assert "<i>" not in html
    assert "<script>" not in html
    assert "&lt;i&gt;de&lt;/i&gt;" in html


# ------------------------------------------------------------------ where names are shown


def test_the_ticket_details_show_the_request_type_in_the_readers_language(app):
    world = build_world()
    world.request_type.name_de = "Weiterleitung an den Lieferanten"
    ticket = world.new_ticket()
    db.session.commit()
    with app.test_request_context(), force_locale("de"):
        html = render_template("tickets/_details.html", ticket=ticket)
    assert "Weiterleitung an den Lieferanten" in html
    assert "Retour fournisseur" not in html
    with app.test_request_context():
        html = render_template("tickets/_details.html", ticket=ticket)
    assert "Retour fournisseur" in html


def test_choices_are_named_and_sorted_in_the_readers_language(app):
    category = PortalCategory(key="TECH", name="Assistance technique", name_de="Technik")
    # French order: Alpha, Beta; German order: Aaa (Beta), Zzz (Alpha).
    db.session.add_all(
        [
            RequestType(category=category, name="Alpha", name_de="Zzz"),
            RequestType(category=category, name="Beta", name_de="Aaa"),
        ]
    )
    db.session.commit()
    assistant = factories.user(role=Role.ASSISTANT)
    db.session.commit()

    def request_type_choices():
        return filter_options(assistant).request_types

    with app.test_request_context():
        assert [c.label for c in request_type_choices()] == ["Alpha", "Beta"]
        groups = creation.request_type_groups()
        assert [(g, [str(t.label) for t in types]) for g, types in groups] == [
            ("Assistance technique", ["Alpha", "Beta"])
        ]
        with force_locale("de"):
            assert [c.label for c in request_type_choices()] == ["Aaa", "Zzz"]
            groups = creation.request_type_groups()
            assert [(g, [str(t.label) for t in types]) for g, types in groups] == [
                ("Technik", ["Aaa", "Zzz"])
            ]


def test_the_export_writes_the_request_type_in_the_language_asked(app):
    world = build_world()
    world.request_type.name_de = "Weiterleitung an den Lieferanten"
    world.new_ticket()
    db.session.commit()
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert next(ticket_rows(period))[1] == "Retour fournisseur"
    assert next(ticket_rows(period, language="de"))[1] == "Weiterleitung an den Lieferanten"
    world.request_type.name_de = None
    db.session.commit()
    # Data, not a page: the French name without the « (FR) » hint.
    assert next(ticket_rows(period, language="de"))[1] == "Retour fournisseur"


# ------------------------------------------------------------------ the default catalogue


def test_the_default_catalogue_is_named_in_german(app):
    ensure_default_catalogue()
    db.session.commit()
    names = {c.key: c.name_de for c in db.session.scalars(select(PortalCategory))}
    assert names == {
        "TECH": "Technische Unterstützung",
        "INFO": "Informationszentrum",
        "PROJ": "Projektverwaltung",
    }
    kinds = {t.name: t.name_de for t in db.session.scalars(select(RequestType))}
    assert kinds["Demande d'informations"] == "Informationsanfrage"
    assert kinds["Accompagnement de projet"] == "Projektbegleitung"
    assert all(c.description_de for c in db.session.scalars(select(PortalCategory)))


def test_init_gives_an_older_catalogue_its_german_names_but_keeps_an_admins(app):
    ensure_default_catalogue()
    db.session.commit()
    tech = db.session.scalar(select(PortalCategory).where(PortalCategory.key == "TECH"))
    info = db.session.scalar(select(PortalCategory).where(PortalCategory.key == "INFO"))
    tech.name_de = None  # created before names had two languages
    info.name_de = "Auskunft"  # an admin's choice
    db.session.commit()
    report = ensure_default_catalogue()
    db.session.commit()
    assert "TECH — Assistance technique" in report.german_added
    assert (tech.name_de, info.name_de) == ("Technische Unterstützung", "Auskunft")
    again = ensure_default_catalogue()
    assert not again.changed


# ------------------------------------------------------------------ the command line


def test_the_command_line_names_in_german_and_finds_a_type_by_its_german_name(app):
    ensure_default_catalogue()
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["catalogue", "names", "tech", "retour fournisseur", "--de", "Lieferanteneinsatz"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["catalogue", "targets", "TECH", "lieferanteneinsatz", "--plan-hours", "6"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    kind = db.session.scalar(select(RequestType).where(RequestType.name == "Retour fournisseur"))
    assert (kind.name_de, kind.take_into_account_hours) == ("Lieferanteneinsatz", 6)
    listed = runner.invoke(args=["catalogue", "list"])
    assert "Lieferanteneinsatz" in listed.output
    # A category, and a name already taken refused with a message, nothing changed.
    assert runner.invoke(args=["catalogue", "names", "INFO", "--de", "Auskunft"]).exit_code == 0
    taken = runner.invoke(args=["catalogue", "names", "PROJ", "--de", "Auskunft"])
    assert taken.exit_code != 0
    assert "déjà pris" in taken.output


# ------------------------------------------------------------------ the « Catalogue » page


def _form(prefix: str, token: str, **values) -> dict:
    return {"csrf_token": token, **{f"{prefix}-{k}": v for k, v in values.items()}}


def test_the_admin_page_edits_both_names_of_a_row(app, client, login):
    world = build_world()
    db.session.commit()
    login(world.admin)
    page = client.get("/admin/catalogue")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    prefix = f"type-{world.request_type.id}"
    assert re.search(rf'name="{prefix}-name"[^>]*value="Retour fournisseur"', html)
    german = re.search(rf'<input[^>]*name="{prefix}-name_de"[^>]*>', html)
    assert 'lang="de"' in german.group()
    response = client.post(
        f"/admin/catalogue/type/{world.request_type.id}",
        data=_form(
            prefix,
            csrf_token(client),
            name="Retour au fournisseur",
            name_de="Weiterleitung an den Lieferanten",
            description="",
            description_de="",
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    kind = db.session.get(RequestType, world.request_type.id)
    assert (kind.name, kind.name_de) == (
        "Retour au fournisseur",
        "Weiterleitung an den Lieferanten",
    )


def test_bad_input_gives_the_form_back_with_what_was_typed(app, client, login):
    world = build_world()
    other = factories.request_type(category=world.category, name="Autre")
    db.session.commit()
    login(world.admin)
    url = f"/admin/catalogue/type/{world.request_type.id}"
    prefix = f"type-{world.request_type.id}"
    empty = client.post(
        url, data=_form(prefix, csrf_token(client), name="", name_de="Mein Tippfehler")
    )
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert "Le nom en français est obligatoire." in html
    assert 'value="Mein Tippfehler"' in html
    taken = client.post(url, data=_form(prefix, csrf_token(client), name=other.name, name_de="Neu"))
    assert taken.status_code == 422
    assert "déjà pris" in taken.get_data(as_text=True)
    too_long = client.post(url, data=_form(prefix, csrf_token(client), name="x" * 121))
    assert too_long.status_code == 422
    db.session.expire_all()
    kind = db.session.get(RequestType, world.request_type.id)
    assert (kind.name, kind.name_de) == ("Retour fournisseur", None)  # nothing saved


def test_the_page_is_refused_to_non_admins_and_needs_the_csrf_token(app, client, login):
    world = build_world()
    db.session.commit()
    url = f"/admin/catalogue/categorie/{world.category.id}"
    for person in (world.coordinator, world.assistant, world.supplier_user, world.teacher):
        login(person)
        assert client.get("/admin/catalogue").status_code == 403
        data = _form(f"categorie-{world.category.id}", csrf_token(client), name="Piraté")
        assert client.post(url, data=data).status_code == 403
        client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
    login(world.admin)
    no_token = client.post(url, data={f"categorie-{world.category.id}-name": "Piraté"})
    assert no_token.status_code == 400
    assert client.post("/admin/catalogue/categorie/999999", data={}).status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(PortalCategory, world.category.id).name == "Assistance technique"


def test_the_menu_links_the_page_for_admins_only(app, client, login):
    world = build_world()
    db.session.commit()
    login(world.admin)
    assert re.search(r'href="/admin/catalogue"', client.get("/").get_data(as_text=True))
    client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
    login(world.coordinator)
    assert "/admin/catalogue" not in client.get("/").get_data(as_text=True)
