"""The list's « En retard » and « Bientôt en retard » filters and row badges: which tickets,
seen by whom (visibility unchanged), in the address and the form, with a number of statements
that does not grow with the rows shown."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from app.extensions import db
from app.models import ServiceClock
from app.models.types import utcnow
from app.tickets import queries
from app.tickets.queries import ListParams, list_tickets, parse_list_args
from app.tickets.service import (
    ActionInput,
    NewTicket,
    apply_action,
    create_ticket,
    pause_clocks,
    share,
)
from app.tickets.workflow import Action
from tests.support.web import signed_in

BRU = ZoneInfo("Europe/Brussels")
ROW = re.compile(r'class="row-link" href="/demandes/([A-Z]+-\d+)"')
HTMX = {"HX-Request": "true"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BRU).astimezone(UTC)


def new(world, now, supplier=None, teacher=None, summary="Portable sans son"):
    teacher = teacher or world.teacher
    data = NewTicket(
        request_type_id=world.request_type.id,
        summary=summary,
        description="Diagnostic.",
        site_id=(teacher.site_id or world.site.id),
        contact_name=teacher.full_name,
        contact_email=teacher.email,
        equipment_serial="SN-1",
        equipment_description="Lot 01 - Écran interactif",
        supplier_id=(supplier or world.supplier).id,
    )
    return create_ticket(world.assistant, data, now=now)


def refs(tickets) -> set[str]:
    return {t.reference for t in tickets}


# ------------------------------------------------------------------ the rule, at a chosen time


def test_late_and_soon_among_running_clocks(world):
    # Plan due: Monday 16:00 (created Friday 16:00), Tuesday 11:00 (Monday 11:00), and one
    # already planned (its plan clock stopped; the resolve clock is due on Tuesday 16:00).
    friday = new(world, at(6, 16))
    monday = new(world, at(9, 11))
    planned = new(world, at(6, 16))
    apply_action(
        world.supplier_user,
        planned.id,
        Action.PLAN,
        ActionInput(planned_at=at(12, 10)),
        now=at(9, 10),
    )
    user = world.assistant

    def listed(delai, now):
        params = ListParams(delai=delai)
        return refs(list_tickets(user, params, now=now).items)

    # Monday 13:00: three hours left for the Friday ticket.
    assert listed("en-retard", at(9, 13)) == set()
    assert listed("bientot", at(9, 13)) == set()
    # Monday 14:30: 1 h 30 left: « bientôt en retard ».
    assert listed("bientot", at(9, 14, 30)) == {friday.reference}
    # Monday 16:30: late; the Monday ticket has 2 h 30 left.
    assert listed("en-retard", at(9, 16, 30)) == {friday.reference}
    assert listed("bientot", at(9, 16, 30)) == set()
    # Tuesday 10:00: the Monday ticket has one hour left; the planned one's resolve clock six.
    assert listed("bientot", at(10, 10)) == {monday.reference}
    assert listed("en-retard", at(10, 10)) == {friday.reference}
    # Tuesday 16:30: everything is late, the planned ticket by its resolve clock.
    assert listed("en-retard", at(10, 16, 30)) == refs([friday, monday, planned])
    # Without the filter, all three.
    assert refs(list_tickets(user, ListParams(), now=at(10, 16, 30)).items) == refs(
        [friday, monday, planned]
    )


def test_a_paused_ticket_is_neither_late_nor_soon(world):
    ticket = new(world, at(6, 16))
    pause_clocks(world.assistant, ticket.id, "part", "Pièce commandée.", now=at(9, 9))
    for delai in ("en-retard", "bientot"):
        assert list_tickets(world.assistant, ListParams(delai=delai), now=at(12, 9)).items == []
    page = list_tickets(world.assistant, ListParams(), now=at(12, 9))
    assert page.delays == {ticket.id: queries.PAUSED}


def test_a_supplier_is_judged_on_its_own_clocks(world):
    """Reassigned on Monday 15:00: the ticket's own clock is late on Monday 16:30; the new
    company's, started at its assignment, is not."""
    ticket = new(world, at(6, 16))
    apply_action(
        world.coordinator,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        now=at(9, 15),
    )
    late = ListParams(delai="en-retard")
    assert refs(list_tickets(world.assistant, late, now=at(9, 16, 30)).items) == {ticket.reference}
    assert list_tickets(world.other_supplier_user, late, now=at(9, 16, 30)).items == []
    assert refs(list_tickets(world.other_supplier_user, late, now=at(10, 15, 30)).items) == {
        ticket.reference
    }
    # The first company lost the ticket: never in its list, late or not.
    assert list_tickets(world.supplier_user, late, now=at(10, 15, 30)).items == []


def test_the_parameter_is_read_leniently():
    assert parse_list_args({"delai": "en-retard"}, en_staff=False).delai == "en-retard"
    assert parse_list_args({"delai": "bientot"}, en_staff=True).delai == "bientot"
    for bad in ("", "retard", "BIENTOT", ["en-retard"], None):
        assert parse_list_args({"delai": bad}, en_staff=True).delai is None
    params = ListParams(delai="bientot", page=3)
    assert params.filtered
    assert params.url_args() == {"delai": "bientot", "page": 3}
    assert params.url_args(etat="toutes") == {"etat": "toutes", "delai": "bientot"}


# ------------------------------------------------------------------ the page, for each role


def _set_due(ticket, due):
    db.session.execute(
        update(ServiceClock)
        .where(ServiceClock.ticket_id == ticket.id, ServiceClock.kind == "plan")
        .values(due_at=due)
    )
    db.session.commit()


@pytest.fixture
def spread(world):
    """Late, soon and on time, at both companies, one of them at another school."""
    now = utcnow()
    soon_due = queries.soon_bound(now) - timedelta(minutes=1)
    made = {}
    for company in ("ours", "theirs"):
        supplier = world.supplier if company == "ours" else world.other_supplier
        for state, due in (
            ("late", now - timedelta(minutes=5)),
            ("soon", soon_due),
            ("fine", now + timedelta(days=20)),
        ):
            teacher = world.other_teacher if (company, state) == ("theirs", "late") else None
            ticket = new(world, now, supplier=supplier, teacher=teacher, summary=state)
            _set_due(ticket, due)
            made[(company, state)] = ticket
    return made


def _listed(client, query="", headers=None) -> set[str]:
    response = client.get(f"/demandes{query}", headers=headers)
    assert response.status_code == 200
    return set(ROW.findall(response.get_data(as_text=True)))


def test_en_staff_filter_every_ticket(app, world, spread):
    client = signed_in(app, world.coordinator)
    late = {spread[("ours", "late")].reference, spread[("theirs", "late")].reference}
    soon = {spread[("ours", "soon")].reference, spread[("theirs", "soon")].reference}
    assert _listed(client, "?delai=en-retard") == late
    assert _listed(client, "?delai=bientot") == soon
    assert _listed(client, "?delai=bientot", HTMX) == soon
    assert _listed(client, f"?delai=en-retard&fournisseur={world.supplier.id}") == {
        spread[("ours", "late")].reference
    }
    assert len(_listed(client)) == 6
    # Closed tickets are late no more.
    apply_action(
        world.assistant,
        spread[("ours", "late")].id,
        Action.CANCEL,
        ActionInput(reason="Doublon."),
    )
    assert _listed(client, "?delai=en-retard") == {spread[("theirs", "late")].reference}


def test_a_supplier_filters_its_own_tickets(app, world, spread):
    client = signed_in(app, world.supplier_user)
    assert _listed(client, "?delai=en-retard") == {spread[("ours", "late")].reference}
    assert _listed(client, "?delai=bientot") == {spread[("ours", "soon")].reference}


def test_a_teacher_sees_no_more_with_the_filter(app, world, spread):
    client = signed_in(app, world.teacher)
    mine = _listed(client, "?etat=toutes")
    assert spread[("theirs", "late")].reference not in mine
    assert _listed(client, "?delai=en-retard") == {spread[("ours", "late")].reference}
    # The teacher's form has no « Délais » filter.
    assert 'name="delai"' not in client.get("/demandes").get_data(as_text=True)
    share(world.assistant, spread[("theirs", "late")].id, world.teacher)
    assert spread[("theirs", "late")].reference in _listed(client, "?delai=en-retard")


def test_the_form_the_address_and_the_badges(app, world, spread):
    client = signed_in(app, world.assistant)
    html = client.get("/demandes?delai=bientot").get_data(as_text=True)
    assert '<select id="delai" name="delai" class="ticket-filter">' in html
    assert '<option value="bientot" selected>Bientôt en retard</option>' in html
    response = client.get("/demandes?delai=bientot&page=1", headers=HTMX)
    assert response.headers["HX-Push-Url"] == "/demandes?delai=bientot"
    # Each row says its state in words.
    html = client.get("/demandes").get_data(as_text=True)
    rows = dict(
        re.findall(r'href="/demandes/([A-Z]+-\d+)".*?(<td class="col-etat".*?</td>)', html, re.S)
    )
    assert "En retard" in rows[spread[("ours", "late")].reference]
    assert "Bientôt en retard" in rows[spread[("ours", "soon")].reference]
    assert "retard" not in rows[spread[("ours", "fine")].reference]
    # An empty result says so and offers the way back.
    for ticket in spread.values():
        _set_due(ticket, utcnow() + timedelta(days=30))
    html = client.get("/demandes?delai=en-retard").get_data(as_text=True)
    assert "Aucune demande ne correspond à ces critères." in html


# ------------------------------------------------------------------ statements per request


@contextmanager
def counting():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _count(client, url, headers=None) -> int:
    with counting() as statements:
        assert client.get(url, headers=headers).status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["assistant", "supplier_user", "teacher"])
def test_statements_do_not_grow_with_the_rows_shown(app, world, who):
    now = utcnow()
    for n in range(3):
        _set_due(new(world, now, summary=f"Portable a{n}"), now - timedelta(hours=1))
    client = signed_in(app, getattr(world, who))
    urls = [
        ("/demandes", None),
        ("/demandes?delai=en-retard", None),
        ("/demandes?delai=bientot", HTMX),
        ("/demandes?delai=en-retard&q=portable", HTMX),
    ]
    _count(client, "/demandes")  # warm-up
    few = [_count(client, url, headers) for url, headers in urls]
    for n in range(22):
        _set_due(new(world, now, summary=f"Portable b{n}"), now - timedelta(hours=1))
    assert len(_listed(client, "?delai=en-retard")) == 25
    many = [_count(client, url, headers) for url, headers in urls]
    assert many == few
    assert max(many) <= 15
    # The filter costs no statement of its own; the row badges one (EN staff and suppliers).
    running = db.session.scalars(select(ServiceClock).where(ServiceClock.stopped_at.is_(None)))
    assert len(running.all()) == 100
