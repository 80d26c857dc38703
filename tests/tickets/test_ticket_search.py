"""The search box on folded columns: accents, case, partial serials, the columns kept in step
with the ticket and filled for existing rows by the migration, the bounded total, and (on
PostgreSQL) the trigram index serving the search."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.extensions import db
from app.models import Ticket
from app.tickets import queries
from tests.support import factories
from tests.tickets.test_ticket_list import HTMX, new, refs

MIGRATION = "5e4a1c2f9b7d"


@pytest.fixture
def found(world):
    tickets = {
        "projector": new(world, "Vidéoprojecteur DÉFECTUEUX", serial="SN-0042ABC"),
        "tablet": new(
            world, "Tablette d’élève", label="EN07-LOT03-00981", contact_name="Hélène Lefèvre"
        ),
        "board": new(world, "Tableau noir", serial="XZ99"),
    }
    db.session.commit()
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("videoprojecteur", ["projector"]),  # accents typed or not, either side
        ("VIDÉOPROJECTEUR défectueux", ["projector"]),
        ("Défectueux", ["projector"]),
        ("eleve", ["tablet"]),  # « d’élève »: the apostrophe and accents folded
        ("d'eleve", ["tablet"]),
        ("0042ab", ["projector"]),  # part of a serial, any case
        ("sn-0042", ["projector"]),
        ("lot03-009", ["tablet"]),  # part of a label
        ("xz9", ["board"]),
        ("tech-1", ["projector"]),  # a reference names one ticket
        ("noir tableau", ["board"]),
        ("lefevre", []),  # the contact's name is for EN staff
        ("noir\nsn", []),  # a word never spans two fields
    ],
)
def test_accents_case_and_partial_identifiers(world, found, client, login, query, expected):
    login(world.supplier_user)
    shown = refs(client.get("/demandes", query_string={"q": query}))
    assert sorted(shown) == sorted(found[key].reference for key in expected)


@pytest.mark.parametrize("query", ["LEFEVRE", "hélène", "Helene Lefèvre"])
def test_en_staff_find_the_contact_whatever_the_accents(world, found, client, login, query):
    login(world.assistant)
    shown = refs(client.get("/demandes", query_string={"q": query}, headers=HTMX))
    assert shown == [found["tablet"].reference]


def test_the_search_columns_follow_the_ticket(world, found, client, login):
    ticket = found["board"]
    assert ticket.search_text == "tech-3".replace("-", " ") + "\ntableau noir\n\nxz99"
    ticket.summary = "Écran brisé"
    ticket.contact_name = "Zoé Müller"
    db.session.commit()
    login(world.assistant)
    assert refs(client.get("/demandes?q=ecran+brise")) == [ticket.reference]
    assert refs(client.get("/demandes?q=tableau")) == []
    assert refs(client.get("/demandes?q=zoe")) == [ticket.reference]


def test_the_migration_folds_the_existing_tickets(world, found):
    board, tablet = found["board"].id, found["tablet"].id
    db.session.commit()
    downgrade(revision=f"{MIGRATION}-1")
    db.session.execute(
        text("UPDATE ticket SET summary = 'Écran ÉTEINT', contact_name = 'Zoé' WHERE id = :id"),
        {"id": board},
    )
    db.session.commit()
    upgrade()
    rows = db.session.execute(select(Ticket.id, Ticket.search_text, Ticket.contact_search)).all()
    by_id = {row.id: row for row in rows}
    assert by_id[board].search_text == "tech 3\necran eteint\n\nxz99"
    assert by_id[board].contact_search == "zoe"
    assert by_id[tablet].contact_search == "helene lefevre"


def test_a_search_stops_counting_past_a_bound(world, client, login, monkeypatch):
    made = [new(world, f"Portable {n}", days_ago=n) for n in range(26)]
    new(world, "Autre chose")
    db.session.commit()
    login(world.supplier_user)
    assert "26 demandes" in client.get("/demandes?q=portable").get_data(as_text=True)
    # A bound below the page: the count stops at the page's end, and says there are more.
    monkeypatch.setattr(queries, "SEARCH_COUNT_BOUND", 1)
    first = client.get("/demandes?q=portable")
    assert refs(first) == [t.reference for t in made[:25]]
    page = first.get_data(as_text=True)
    assert "plus de 25 demandes" in page
    assert "· page 1</span>" in page
    assert 'rel="next"' in page
    second = client.get("/demandes?q=portable&page=2")
    assert refs(second) == [made[25].reference]
    assert "26 demandes" in second.get_data(as_text=True)
    assert 'rel="next"' not in second.get_data(as_text=True)


@pytest.mark.postgres
def test_the_trigram_index_serves_the_search(world, found, login):
    """EXPLAIN of the search's statement names the trigram indexes."""
    # Many sites so that the school pre-query finds none and the plan is the tickets' own.
    for n in range(3):
        factories.site(factories.establishment(name=f"Institut {n}"))
    db.session.commit()
    params = queries.ListParams(q="projecteur lefevre", etat="toutes")
    conditions = queries.list_conditions(world.assistant, params)
    statement = select(Ticket.id).where(*conditions)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    # A test table of three rows is read whole by any planner; with sequential scans priced out,
    # the plan shows which index would serve the search on a table worth indexing.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_ticket_search_text_trgm" in plan, plan
    assert "ix_ticket_contact_search_trgm" in plan, plan
    assert db.session.scalars(statement).all() == []
