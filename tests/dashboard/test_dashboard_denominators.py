"""What « Suivi » counts: suppliers' work only, and ratios that say what they are ratios of.

On the hand-made set of tests/dashboard/test_dashboard.py (Meuse received t1–t4 in March: planned on
time 3 of 4, resolved on time 1 of 3, 1 reopened, backlog [0, 1, 0, 1, 0]), an information
request a supplier was named on changes nothing, and a reopened ticket's second round counts as
a round (« passage »), not as a new ticket received.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.dashboard.figures import dashboard
from app.directory.catalogue import ensure_default_catalogue
from app.extensions import db
from app.models import PortalCategory, RequestType
from tests.dashboard.test_dashboard import (
    IN_MARCH,
    MARCH,
    NOW,
    _clock,
    build_handmade,
    keep_figures,
)
from tests.support.tickets import build_world
from tests.support.web import signed_in


@pytest.fixture
def world(app):
    world = build_world()
    world.handmade = build_handmade(world)
    return world


def _information_request(world):
    """A question for the information centre on which a supplier was named (and timed)."""
    info = RequestType(
        category=PortalCategory(key="INFO", name="Centre d'informations"),
        name="Demande d'informations",
        handled_by_supplier=False,
    )
    db.session.add(info)
    ticket = world.new_ticket(summary="Garantie du Lot 04 ?")
    ticket.request_type = info
    ticket.supplier = world.supplier
    ticket.supplier_assigned_at = NOW - timedelta(days=2)
    _clock(ticket, world.supplier, "plan", started=IN_MARCH, outcome="breached", hours=30)
    _clock(ticket, world.supplier, "resolve", started=IN_MARCH, outcome="breached", hours=40)
    db.session.commit()
    keep_figures()
    return ticket


def test_information_requests_are_not_among_a_suppliers_received_tickets(world):
    _information_request(world)
    for board in (dashboard(MARCH, now=NOW), dashboard(MARCH, group="lot", now=NOW)):
        assert board.overall.received == 5
        assert (board.overall.plan.met, board.overall.plan.measured) == (4, 5)
        assert board.overall.backlog_total == 2
    meuse = {c.name: c for c in dashboard(MARCH, now=NOW).cards}["Meuse Informatique"]
    assert meuse.received == 4
    assert (meuse.plan.met, meuse.plan.measured) == (3, 4)
    assert (meuse.resolve.met, meuse.resolve.measured) == (1, 3)
    assert (meuse.plan.median, meuse.plan.p90) == (5, 12)
    assert meuse.backlog == [0, 1, 0, 1, 0]
    own = dashboard(MARCH, supplier_id=world.supplier.id, now=NOW)
    assert own.overall.received == 4


def test_each_round_counts_and_the_page_says_so(app, world):
    t2 = world.handmade[1]  # reopened in March: its second round was planned on time
    _clock(t2, world.supplier, "plan", started=IN_MARCH, outcome="met", hours=3, rnd=2)
    db.session.commit()
    keep_figures()
    meuse = {c.name: c for c in dashboard(MARCH, now=NOW).cards}["Meuse Informatique"]
    assert meuse.received == 4  # tickets
    assert (meuse.plan.met, meuse.plan.measured) == (4, 5)  # rounds
    assert (meuse.reopened, meuse.reopen_rate) == (1, 0.25)  # of the tickets received

    page = signed_in(app, world.coordinator).get("/suivi/?du=2026-03-01&au=2026-03-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "4 sur 5 passages" in html
    assert "1 sur 4 demandes" in html  # reopened, of the tickets received
    assert "1 sur 2 demandes" in html  # closed automatically, of the tickets closed
    assert "elle compte une fois par passage" in html
    assert "demandes d’informations" in html
    assert "des passages planifiés dans les délais" in html


def test_the_default_catalogue_marks_the_en_teams_own_requests(app):
    ensure_default_catalogue()
    db.session.commit()
    marks = dict(
        db.session.execute(
            select(PortalCategory.key, RequestType.handled_by_supplier).join(RequestType.category)
        ).all()
    )
    assert marks == {"TECH": True, "INFO": False, "PROJ": False}


def test_the_migration_marks_existing_request_types_by_category(app):
    downgrade(revision="5e4a1c2f9b7d")
    with db.engine.begin() as connection:
        for number, key in enumerate(("TECH", "INFO", "PROJ"), start=1):
            connection.execute(
                text(
                    "INSERT INTO portal_category (id, key, name, description, position, "
                    "last_number) VALUES (:id, :key, :key, '', :id, 0)"
                ),
                {"id": number, "key": key},
            )
            connection.execute(
                text(
                    "INSERT INTO request_type (id, category_id, name, description, "
                    "take_into_account_hours, resolve_hours, auto_close_days, "
                    "auto_close_school_days, active) "
                    "VALUES (:id, :id, :key, '', 8, 16, 15, false, true)"
                ),
                {"id": number, "key": key},
            )
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.key, t.handled_by_supplier FROM request_type t "
                "JOIN portal_category c ON c.id = t.category_id"
            )
        ).all()
    assert {key: bool(mark) for key, mark in rows} == {"TECH": True, "INFO": False, "PROJ": False}
