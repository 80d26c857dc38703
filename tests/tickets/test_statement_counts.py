"""SQL statements per request, counted on the engine (`before_cursor_execute`) through the test
client: at most 6 on the list « Demandes » as each role sees it, whatever the rows shown, sort or
page; the ticket page with comments, visits and attachments stays at a fixed number that does not
grow with them (8: the person, the ticket with its many-to-one rows, open pause, participants
and current clocks joined, its visits, activity, files, « Notifications », school holidays and
the action forms' choices; an admin's menu adds the « Envois » badge)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import RequestType, Role
from app.tickets.attachments import store_upload
from app.tickets.service import ActionInput, add_comment, apply_action
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.tickets import TOMORROW_10H, build_world, later
from tests.support.web import signed_in
from tests.tickets.test_ticket_list import HTMX, counting_statements, new, plan, refs

LIST_LIMIT = 6
PAGE_LIMIT = 8


@pytest.fixture
def world(app):
    return build_world()


def statements(client, url, headers=None) -> int:
    with counting_statements() as seen:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen)


def fill(world, count: int, people: list) -> None:
    """`count` tickets of two types, on several sites, by several people, some planned."""
    other_type = db.session.scalar(
        db.select(RequestType).where(RequestType.name == "Autre type")
    ) or RequestType(category=world.category, name="Autre type")
    db.session.add(other_type)
    db.session.commit()
    sites = [world.site] + [factories.site() for _ in range(3)]
    for n in range(count):
        ticket = new(
            world,
            f"Demande numéro {n}",
            days_ago=n,
            by=people[n % len(people)],
            site=sites[n % 4],
            request_type_id=(world.request_type.id, other_type.id)[n % 2],
        )
        if n % 3 == 0:
            plan(world, ticket)
        if n % 5 == 0:
            ticket.assignee_id = None
    db.session.commit()


LISTS = [
    ("/demandes", None),
    ("/demandes", HTMX),
    ("/demandes?etat=toutes&page=2", None),
    ("/demandes?etat=toutes&tri=responsable", None),
    ("/demandes?etat=toutes&tri=responsable&ordre=desc&page=2", HTMX),
    ("/demandes?tri=type&ordre=desc", None),
    ("/demandes?tri=reference", None),
    ("/demandes?tri=etat&etat=toutes", None),
    ("/demandes?tri=resume&etat=toutes", HTMX),
    ("/demandes?tri=demandeur", None),
]
# A search adds the school look-up (one statement on the directory) to the list's.
SEARCHES = [("/demandes?q=demande", None), ("/demandes?q=demande&tri=type&ordre=desc", HTMX)]


@pytest.mark.parametrize("who", ["supplier_user", "assistant", "coordinator", "teacher", "admin"])
def test_the_list_costs_at_most_six_statements_whatever_the_rows(app, world, who):
    people = [world.assistant, world.assistant2]
    fill(world, 3, people)
    client = signed_in(app, getattr(world, who))
    urls = LISTS + (SEARCHES if who != "admin" else [])
    client.get("/demandes")  # warm-up
    few = [statements(client, url, headers) for url, headers in urls]
    fill(world, 55, [*people, *(factories.user(Role.ASSISTANT) for _ in range(3))])
    assert len(refs(client.get("/demandes?etat=toutes"))) == 25
    many = [statements(client, url, headers) for url, headers in urls]
    assert many == few
    assert max(many) <= LIST_LIMIT, dict(zip([u for u, _h in urls], many, strict=True))


def test_the_admins_search_adds_only_the_menu_badge(app, world):
    fill(world, 3, [world.assistant])
    client = signed_in(app, world.admin)
    client.get("/demandes")
    for url, headers in SEARCHES:
        assert statements(client, url, headers) <= LIST_LIMIT + 1


def png() -> FileStorage:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 200)).save(out, "PNG")
    out.seek(0)
    return FileStorage(out, filename="photo.png", content_type="image/png")


def busy(world, ticket, rounds: int):
    """Comments with photos, visits planned again, people added: the page's every part."""
    for n in range(rounds):
        event = add_comment(world.assistant, ticket.id, f"Commentaire {n}", now=later(n))
        store_upload(ticket, png(), world.assistant, event=event)
    # A visit per round: planned, done, reopened by the school.
    steps = [
        (world.supplier_user, Action.PLAN, ActionInput(planned_at=TOMORROW_10H)),
        (world.supplier_user, Action.FINISH, ActionInput(summary="Alimentation remplacée.")),
        (world.teacher, Action.REOPEN, ActionInput(reason="Toujours en panne.")),
    ]
    for minutes, (who, action, values) in enumerate(steps * rounds, start=1):
        ticket = apply_action(
            who, ticket.id, action, values, version=ticket.version, now=later(minutes)
        ).ticket
    db.session.commit()
    return ticket


@pytest.mark.parametrize("who", ["supplier_user", "assistant", "teacher", "admin"])
def test_the_ticket_page_costs_a_fixed_number_of_statements(app, world, who):
    small = busy(world, world.new_ticket(), 1)
    large = busy(world, world.new_ticket(), 6)
    client = signed_in(app, getattr(world, who))
    client.get(f"/demandes/{small.reference}")  # warm-up
    counts = [statements(client, f"/demandes/{t.reference}") for t in (small, large)]
    assert counts[0] == counts[1]
    assert counts[1] <= PAGE_LIMIT + (who == "admin")
