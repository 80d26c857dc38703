"""The list « Demandes »: who sees what, each filter, sort, pages, the address, htmx, bad input,
and a number of queries that does not grow with the rows shown."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import PortalCategory, RequestType, Role
from app.tickets import queries
from app.tickets.queries import ListParams, parse_list_args, parse_search, phone_digits
from app.tickets.service import ActionInput, NewTicket, apply_action, create_ticket, share
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.tickets import NOW, TOMORROW_10H, later

ROW = re.compile(r'class="row-link" href="/demandes/([A-Z]+-\d+)"')


def new(world, summary="Écran interactif ne s’allume plus", *, days_ago=0, by=None, **kw):
    """A ticket created `days_ago` days before NOW (the references follow the calls' order)."""
    site = kw.pop("site", world.site)
    teacher = kw.pop("teacher", world.teacher)
    data = NewTicket(
        request_type_id=kw.pop("request_type_id", world.request_type.id),
        summary=summary,
        description="Diagnostic : à vérifier sur place.",
        site_id=site.id,
        contact_name=kw.pop("contact_name", teacher.full_name if teacher else "M. Personne"),
        contact_phone=kw.pop("contact_phone", "+3281987654"),
        contact_email=teacher.email if teacher else "",
        equipment_serial=kw.pop("serial", "SN-000123"),
        equipment_description="Lot 01 - Écran interactif",
        equipment_label=kw.pop("label", ""),
        supplier_id=kw.pop("supplier_id", world.supplier.id),
        **kw,
    )
    return create_ticket(by or world.assistant, data, now=NOW - timedelta(days=days_ago))


def refs(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return ROW.findall(response.get_data(as_text=True))


def plan(world, ticket, by=None):
    return apply_action(
        by or world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    ).ticket


def finish(world, ticket):
    return apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary="Réparé."), now=later(9)
    ).ticket


HTMX = {"HX-Request": "true"}


# ------------------------------------------------------------------ who sees what


@pytest.fixture
def spread(world):
    """Tickets of both companies, one without a supplier, one only shared with a colleague."""
    ours = new(world, "Portable sans son", days_ago=3)
    theirs = new(world, "Tablette fissurée", supplier_id=world.other_supplier.id, days_ago=2)
    nobody = new(world, "Projecteur inconnu", supplier_id=None, days_ago=1)
    other_school = new(
        world,
        "Visualiseur muet",
        teacher=world.other_teacher,
        site=world.other_teacher.site,
        supplier_id=world.other_supplier.id,
        by=world.assistant2,
    )
    share(world.assistant, other_school.id, world.colleague_teacher, now=later(1))
    db.session.commit()
    return {"ours": ours, "theirs": theirs, "nobody": nobody, "other_school": other_school}


def test_a_supplier_sees_only_its_company_tickets_in_the_page_and_the_fragment(
    world, spread, client, login
):
    login(world.supplier_user)
    ours, theirs = spread["ours"].reference, spread["theirs"].reference
    for headers in (None, HTMX):
        for query in (
            "",
            "?etat=toutes",
            f"?q={theirs}",
            f"?fournisseur={world.other_supplier.id}",
        ):
            shown = refs(client.get(f"/demandes{query}", headers=headers))
            assert theirs not in shown
            assert spread["nobody"].reference not in shown
            assert spread["other_school"].reference not in shown
        assert refs(client.get("/demandes", headers=headers)) == [ours]
    # The creators offered are those of its own tickets only.
    page = client.get("/demandes").get_data(as_text=True)
    assert world.assistant.full_name in page
    assert world.assistant2.full_name not in page
    assert 'id="fournisseur"' not in page  # no supplier filter for a supplier


def test_a_colleague_sees_the_other_companys_tickets_and_nothing_else(world, spread, client, login):
    login(world.other_supplier_user)
    assert sorted(refs(client.get("/demandes"))) == sorted(
        [spread["theirs"].reference, spread["other_school"].reference]
    )


def test_a_teacher_sees_the_tickets_where_they_are_contact_or_participant(
    world, spread, client, login
):
    login(world.teacher)
    assert sorted(refs(client.get("/demandes"))) == sorted(
        t.reference for k, t in spread.items() if k != "other_school"
    )
    client.post("/deconnexion", data={"csrf_token": _csrf(client)})
    login(world.colleague_teacher)
    assert refs(client.get("/demandes")) == [spread["other_school"].reference]
    assert refs(client.get("/demandes?etat=toutes", headers=HTMX)) == [
        spread["other_school"].reference
    ]
    client.post("/deconnexion", data={"csrf_token": _csrf(client)})
    login(world.other_teacher)
    assert refs(client.get("/demandes")) == [spread["other_school"].reference]


@pytest.mark.parametrize("who", ["assistant", "coordinator", "admin"])
def test_en_staff_see_every_ticket(world, spread, client, login, who):
    login(getattr(world, who))
    assert sorted(refs(client.get("/demandes"))) == sorted(t.reference for t in spread.values())


def test_the_list_needs_a_signed_in_user(world, spread, client):
    response = client.get("/demandes")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def _csrf(client):
    from tests.support.web import csrf_token

    return csrf_token(client)


# ------------------------------------------------------------------ filters


def test_open_closed_and_all(world, client, login):
    opened = new(world, "Ouvert", days_ago=5)
    in_progress = plan(world, new(world, "En cours", days_ago=4))
    done = finish(world, plan(world, new(world, "Terminé", days_ago=3)))
    closed = apply_action(
        world.teacher, finish(world, plan(world, new(world, "Fermé", days_ago=2))).id, "approve"
    ).ticket
    cancelled = apply_action(
        world.assistant,
        new(world, "Annulé", days_ago=1).id,
        Action.CANCEL,
        ActionInput(reason="Doublon"),
    ).ticket
    db.session.commit()
    login(world.supplier_user)
    expected_open = [done.reference, in_progress.reference, opened.reference]  # newest first
    assert refs(client.get("/demandes")) == expected_open
    assert refs(client.get("/demandes?etat=ouvertes")) == expected_open
    assert refs(client.get("/demandes?etat=fermees")) == [cancelled.reference, closed.reference]
    assert len(refs(client.get("/demandes?etat=toutes"))) == 5
    # One state is for EN staff; for a supplier it falls back to the default.
    assert refs(client.get("/demandes?etat=closed")) == expected_open
    client.post("/deconnexion", data={"csrf_token": _csrf(client)})
    login(world.coordinator)
    assert refs(client.get("/demandes?etat=closed")) == [closed.reference]
    assert refs(client.get("/demandes?etat=in_progress")) == [in_progress.reference]
    assert refs(client.get("/demandes?etat=done", headers=HTMX)) == [done.reference]
    page = client.get("/demandes?etat=cancelled").get_data(as_text=True)
    assert ROW.findall(page) == [cancelled.reference]
    assert '<option value="cancelled" selected>' in page


def test_creator_request_type_and_supplier_filters(world, client, login):
    other_type = RequestType(category=world.category, name="Demande de reprise")
    db.session.add(other_type)
    db.session.commit()
    by_quentin = new(world, "Par Quentin", days_ago=3)
    by_sophie = new(world, "Par Sophie", by=world.assistant2, days_ago=2)
    other_kind = new(world, "Reprise", request_type_id=other_type.id, days_ago=1)
    elsewhere = new(world, "Ailleurs", supplier_id=world.other_supplier.id)
    no_supplier = new(world, "Sans", supplier_id=None)
    db.session.commit()

    login(world.assistant)
    q = f"/demandes?createur={world.assistant2.id}"
    assert refs(client.get(q)) == [by_sophie.reference]
    assert refs(client.get(f"/demandes?type={other_type.id}")) == [other_kind.reference]
    assert refs(client.get(f"/demandes?fournisseur={world.other_supplier.id}")) == [
        elsewhere.reference
    ]
    assert refs(client.get("/demandes?fournisseur=aucun")) == [no_supplier.reference]
    both = f"/demandes?createur={world.assistant.id}&type={world.request_type.id}"
    assert by_quentin.reference in refs(client.get(both))
    assert by_sophie.reference not in refs(client.get(both))
    page = client.get("/demandes").get_data(as_text=True)
    assert "Tous les créateurs" in page
    assert "Tout type de demande" in page
    assert "Sans fournisseur" in page
    assert world.other_supplier.name in page


@pytest.fixture
def searchable(world):
    borlon = factories.site(
        factories.establishment(fase=2559, name="Ecole communale de Borlon", locality="DURBUY"),
        fi=5136,
        locality="BORLON",
    )
    tickets = {
        "screen": new(world, "Écran interactif noir", serial="IFP123X", label="EN01-LOT02-00042"),
        "laptop": new(world, "Portable : clavier cassé", serial="5CD999Z"),
        "borlon": new(
            world,
            "Tablette bloquée",
            site=borlon,
            serial="R9T777",
            contact_name="Jean Dupuis",
            contact_phone="+3286123456",
        ),
        "theirs": new(world, "Écran d’un autre", supplier_id=world.other_supplier.id),
    }
    db.session.commit()
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ecran", ["screen"]),  # accents and case ignored
        ("ÉCRAN NOIR", ["screen"]),
        ("clavier", ["laptop"]),
        ("TECH-2", ["laptop"]),
        ("tech-3", ["borlon"]),
        ("ifp123", ["screen"]),
        ("lot02-00042", ["screen"]),
        ("borlon", ["borlon"]),  # the school's name
        ("FE 2559", ["borlon"]),
        ("FI 5136", ["borlon"]),
        ("5136", ["borlon"]),
        ("FI 5136 - FE 2559 - Ecole communale de Borlon (…)", ["borlon"]),
        ("tablette borlon", ["borlon"]),  # every word must match
        ("tablette namur", []),
        ("Dupuis", []),  # the contact's name is for EN staff
        ("086/12.34.56", []),  # and so is the phone number
        ("100%", []),  # LIKE's wildcards are plain characters
        ("_", []),
    ],
)
def test_search_as_a_supplier(world, searchable, client, login, query, expected):
    login(world.supplier_user)
    shown = refs(client.get("/demandes", query_string={"q": query}))
    assert shown == [searchable[key].reference for key in expected]


@pytest.mark.parametrize(
    "query",
    [
        "Dupuis",
        "jean dupuis",
        "086/12.34.56",
        "086 12 34 56",
        "+32 86 12 34 56",
        "0032 86123456",
        "086123456",
        "12 34 56",
        "+32 (0)86 12 34 56",
    ],
)
def test_en_staff_also_search_the_contact_name_and_any_written_phone(
    world, searchable, client, login, query
):
    login(world.assistant)
    shown = refs(client.get("/demandes", query_string={"q": query}, headers=HTMX))
    assert shown == [searchable["borlon"].reference]


def test_phone_digits_and_search_parsing():
    assert phone_digits("0123/456789") == "123456789"
    assert phone_digits("+32 81 23 45 67") == "81234567"
    assert phone_digits("0032 81 23 45 67") == "81234567"
    assert phone_digits("+33 1 23 45 67 89") == "33123456789"
    assert phone_digits("5136") == ""  # too short: an FI, not a phone
    assert phone_digits("SN-000123") == ""
    terms = parse_search("FI 5136 écran  TECH-17 ")
    assert (terms.fe, terms.fi, terms.words) == (None, 5136, ["écran", "TECH-17"])
    assert parse_search("  «  »  ").empty


# ------------------------------------------------------------------ sort and pages


@pytest.fixture
def sortable(world):
    world.assistant.full_name = "Quentin Delrée"
    world.assistant2.full_name = "Anne Bastin"
    tickets = [
        new(world, "Bravo", days_ago=1),
        new(world, "alpha", days_ago=3, by=world.assistant2),
        new(world, "Charlie", days_ago=2),
    ]
    plan(world, tickets[0])
    apply_action(
        world.assistant,
        tickets[2].id,
        Action.CHANGE_ASSIGNEE,
        ActionInput(assignee_id=world.assistant2.id),
        now=later(3),
    )
    db.session.commit()
    return [t.reference for t in tickets]  # TECH-1 Bravo, TECH-2 alpha, TECH-3 Charlie


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [
        ("creation", ["TECH-2", "TECH-3", "TECH-1"]),
        ("reference", ["TECH-1", "TECH-2", "TECH-3"]),
        ("resume", ["TECH-2", "TECH-1", "TECH-3"]),  # alpha, Bravo, Charlie: case ignored
        ("etat", ["TECH-3", "TECH-2", "TECH-1"]),  # OUVERT (newest first), then EN COURS
        ("demandeur", ["TECH-2", "TECH-1", "TECH-3"]),  # Anne, then Quentin's newest first
        ("responsable", ["TECH-3", "TECH-2", "TECH-1"]),  # Anne (TECH-3 given to her), Quentin
    ],
)
def test_sort_each_column_both_ways(world, sortable, client, login, sort, ascending):
    login(world.assistant)
    assert refs(client.get(f"/demandes?tri={sort}&ordre=asc")) == ascending
    descending = refs(client.get(f"/demandes?tri={sort}&ordre=desc"))
    if sort in ("creation", "reference", "resume"):
        assert descending == list(reversed(ascending))
    else:
        assert sorted(descending) == sorted(ascending)
        assert descending[0] != ascending[0]


def test_sort_headers_toggle_and_say_where_they_stand(world, sortable, client, login):
    login(world.assistant)
    page = client.get("/demandes?tri=resume&ordre=asc&etat=toutes").get_data(as_text=True)
    header = re.search(
        r'<th scope="col" class="col-resume" aria-sort="ascending">(.*?)</th>', page, re.S
    )
    assert header, "the sorted column says so"
    assert "tri=resume&amp;ordre=desc" in header.group(1)
    assert "etat=toutes" in header.group(1)  # the filters are kept
    assert page.count("aria-sort=") == 1
    # The sort travels with the filter form.
    assert '<input type="hidden" name="tri" value="resume" form="ticket-filters">' in page
    # The default sort is newest first and shows as such.
    default = client.get("/demandes").get_data(as_text=True)
    assert 'class="col-creation" aria-sort="descending"' in default
    assert 'name="tri"' not in default


def test_by_type_sorts_by_the_request_types_name(world, client, login):
    zeta = RequestType(category=world.category, name="Zeta")
    db.session.add(zeta)
    db.session.commit()
    z = new(world, "Z", request_type_id=zeta.id, days_ago=1)
    r = new(world, "R")
    db.session.commit()
    login(world.assistant)
    assert refs(client.get("/demandes?tri=type&ordre=asc")) == [r.reference, z.reference]
    assert refs(client.get("/demandes?tri=type&ordre=desc")) == [z.reference, r.reference]


def test_pages_of_25_and_the_page_in_the_address(world, client, login):
    made = [new(world, f"Demande {n:02d}", days_ago=30 - n) for n in range(30)]
    db.session.commit()
    newest_first = [t.reference for t in reversed(made)]
    login(world.supplier_user)
    first = client.get("/demandes?tri=creation&ordre=desc")
    assert refs(first) == newest_first[:25]
    html = first.get_data(as_text=True)
    assert "30 demandes" in html
    assert "Page 1 sur 2" in html
    assert 'href="/demandes?page=2"' in html  # the default sort is left out of the address
    second = client.get("/demandes?page=2")
    assert refs(second) == newest_first[25:]
    assert 'rel="prev"' in second.get_data(as_text=True)
    # Past the end: the last page, and htmx is told the address of what it shows.
    beyond = client.get("/demandes?page=9", headers=HTMX)
    assert refs(beyond) == newest_first[25:]
    assert beyond.headers["HX-Push-Url"] == "/demandes?page=2"
    # A page link keeps the filters and the sort.
    sorted_page = client.get("/demandes?tri=resume&ordre=asc&q=demande").get_data(as_text=True)
    assert "q=demande&amp;tri=resume&amp;ordre=asc&amp;page=2" in sorted_page


def test_the_address_restores_every_filter(world, client, login):
    new(world, "Écran", days_ago=1)
    db.session.commit()
    login(world.coordinator)
    url = (
        f"/demandes?q=%C3%A9cran&etat=toutes&createur={world.assistant.id}"
        f"&type={world.request_type.id}&fournisseur={world.supplier.id}&tri=resume&ordre=desc"
    )
    page = client.get(url).get_data(as_text=True)
    assert 'name="q" value="écran"' in page
    assert '<option value="toutes" selected>' in page
    assert f'<option value="{world.assistant.id}" selected>' in page
    assert f'<option value="{world.request_type.id}" selected>' in page
    assert f'<option value="{world.supplier.id}" selected>' in page
    assert 'aria-sort="descending"' in page
    assert "col-resume" in page
    # htmx gets the same results, and the address it should show, without the defaults.
    fragment = client.get(url + "&page=1", headers=HTMX)
    assert fragment.headers["HX-Push-Url"] == url.replace("%C3%A9", "%C3%A9")
    assert fragment.headers["Vary"]
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_form_refreshes_with_htmx_and_works_without(world, client, login):
    new(world)
    db.session.commit()
    login(world.supplier_user)
    page = client.get("/demandes").get_data(as_text=True)
    form = re.search(r'<form id="ticket-filters"[^>]*>', page).group(0)
    assert 'method="get"' in form
    assert 'action="/demandes"' in form
    assert 'hx-get="/demandes"' in form
    assert 'hx-target="#ticket-results"' in form
    assert 'hx-push-url="true"' in form
    assert "input changed delay:300ms" in form
    assert '<button type="submit"' in page
    assert page.startswith("<!doctype html>")
    fragment = client.get("/demandes", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment
    assert "<form" not in fragment
    assert "TECH-1" in fragment
    assert "1 demande" in fragment
    # A boosted navigation wants the whole page.
    boosted = client.get("/demandes", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_empty_states(world, client, login):
    login(world.supplier_user)
    assert "Aucune demande ouverte" in client.get("/demandes").get_data(as_text=True)
    filtered = client.get("/demandes?q=introuvable").get_data(as_text=True)
    assert "Aucune demande ne correspond à ces critères." in filtered


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "query",
    [
        "etat=zzz",
        "etat=",
        "page=-1",
        "page=0",
        "page=abc",
        "page=99999999999999999999",
        "page=%EF%BC%92",  # a full-width digit
        "createur=abc",
        "createur=99999999999999999999",
        "createur=-3",
        "type=%00",
        "type=1.5",
        "fournisseur=x",
        "fournisseur=99999999999999999999",
        "tri=id;drop",
        "ordre=sideways",
        "q=%00%01abc",
        "q=" + "x" * 5000,
        "q=%25%25%25",
        "q=%5C",
        "etat=toutes&etat=fermees&page=2&page=x",
    ],
)
def test_bad_parameters_fall_back_to_defaults(world, client, login, query):
    new(world)
    db.session.commit()
    for who in (world.coordinator, world.supplier_user):
        login(who)
        for headers in (None, HTMX):
            assert client.get(f"/demandes?{query}", headers=headers).status_code == 200


def test_parse_list_args_is_lenient():
    assert parse_list_args({}, en_staff=False) == ListParams()
    params = parse_list_args(
        {"etat": "closed", "fournisseur": "3", "page": "0", "tri": "x", "ordre": "up"},
        en_staff=False,
    )
    assert params == ListParams()
    staff = parse_list_args({"etat": "closed", "fournisseur": "aucun"}, en_staff=True)
    assert (staff.etat, staff.fournisseur) == ("closed", "aucun")
    assert parse_list_args({"q": " a\x00  b\n"}, en_staff=True).q == "a b"
    assert len(parse_list_args({"q": "y" * 999}, en_staff=True).q) == queries.MAX_QUERY
    assert ListParams(q="x", page=3).url_args(etat="toutes") == {"q": "x", "etat": "toutes"}


# ------------------------------------------------------------------ queries per request


@contextmanager
def counting_statements():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _statements_for(client, url, headers=None) -> int:
    with counting_statements() as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["supplier_user", "assistant", "teacher"])
def test_queries_per_request_do_not_grow_with_the_rows_shown(world, client, login, who):
    # Five tickets of varied people, sites and types…
    other_type = RequestType(category=world.category, name="Autre type")
    db.session.add(other_type)
    db.session.commit()
    sites = [world.site] + [factories.site() for _ in range(4)]
    for n in range(5):
        new(
            world,
            f"Demande première {n}",
            days_ago=n,
            by=(world.assistant, world.assistant2)[n % 2],
        )
    db.session.commit()
    login(getattr(world, who))
    urls = [("/demandes", None), ("/demandes", HTMX), ("/demandes?tri=responsable", HTMX)]
    urls += [("/demandes?tri=type&ordre=desc&q=demande", None)]
    assert len(refs(client.get("/demandes"))) == 5
    few = [_statements_for(client, url, headers) for url, headers in urls]

    # …then twenty more, on other sites, by other people, of another type: 25 rows shown.
    others = [factories.user(Role.ASSISTANT) for _ in range(3)]
    db.session.commit()
    for n in range(20):
        ticket = new(
            world,
            f"Demande suivante {n}",
            days_ago=n,
            by=others[n % 3],
            site=sites[n % 5] if who != "teacher" else world.site,
            request_type_id=(world.request_type.id, other_type.id)[n % 2],
        )
        if n % 4 == 0:
            plan(world, ticket)
    db.session.commit()
    assert len(refs(client.get("/demandes"))) == 25
    many = [_statements_for(client, url, headers) for url, headers in urls]
    assert many == few
    assert max(many) <= 15


def test_the_supplier_lists_category_references_in_order(world, client, login):
    """Two categories: the reference sort groups them by key, then by number."""
    info = PortalCategory(key="INFO", name="Centre d'informations")
    info_type = RequestType(category=info, name="Question")
    db.session.add_all([info, info_type])
    db.session.commit()
    a = new(world, "a")
    b = new(world, "b", request_type_id=info_type.id)
    made = [new(world, f"c{n}") for n in range(10)]
    db.session.commit()
    login(world.supplier_user)
    shown = refs(client.get("/demandes?tri=reference&ordre=asc"))
    assert shown == [b.reference, a.reference] + [t.reference for t in made]
    assert shown[-1] == "TECH-11"


def test_a_word_naming_many_schools_and_a_search_past_its_last_page(
    world, client, login, monkeypatch
):
    # Two schools named alike: with a cap of one site id, the search falls back to a sub-select.
    a = factories.site(factories.establishment(name="Ecole des Tilleuls"))
    b = factories.site(factories.establishment(name="Athénée des Tilleuls"))
    at_a, at_b = new(world, "Un", site=a), new(world, "Deux", site=b)
    new(world, "Trois")
    db.session.commit()
    login(world.supplier_user)
    expected = [at_b.reference, at_a.reference]
    assert refs(client.get("/demandes?q=tilleuls")) == expected
    monkeypatch.setattr(queries, "MAX_SITE_IDS", 1)
    assert refs(client.get("/demandes?q=tilleuls")) == expected
    # A search asked for a page past its end gets the last page, and the address of it.
    beyond = client.get("/demandes?q=tilleuls&page=4", headers=HTMX)
    assert refs(beyond) == expected
    assert beyond.headers["HX-Push-Url"] == "/demandes?q=tilleuls"
