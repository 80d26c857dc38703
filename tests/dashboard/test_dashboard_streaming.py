"""The dashboard's faster paths: exports written as they are read, the backlog counted by the
database (its age buckets' bounds as app.dashboard.stats draws them)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.dashboard import exports
from app.dashboard.figures import dashboard
from app.extensions import db
from app.models import ServiceClock
from tests.dashboard.test_dashboard import MARCH, NOW, _csv_rows, _xlsx_rows, build_handmade
from tests.support.web import signed_in


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_ticket_export_is_streamed(app, world, fmt):
    build_handmade(world)
    client = signed_in(app, world.coordinator)
    response = client.get(f"/suivi/export/demandes.{fmt}?du=2026-03-01&au=2026-03-31")
    assert response.status_code == 200
    # Not built whole before the first byte goes out: no length known in advance.
    assert "Content-Length" not in response.headers
    rows = _csv_rows(response.data) if fmt == "csv" else _xlsx_rows(response.data)
    assert [row[3] for row in rows[1:]] == [f"Panne {n}" for n in range(1, 6)]


def test_the_ticket_export_reads_clocks_of_the_current_supplier_only(app, world, monkeypatch):
    """Batches of two rows: the clocks still meet their tickets across the batches."""
    t3 = build_handmade(world)[2]
    # t3 goes to Brabant: Meuse's clocks on it no longer show; Brabant's latest one does.
    t3.supplier = world.other_supplier
    for hours, outcome in ((30, "breached"), (3, "met")):
        db.session.add(
            ServiceClock(
                ticket_id=t3.id,
                supplier_id=world.other_supplier.id,
                kind="plan",
                started_at=t3.created_at,
                target_minutes=480,
                stopped_at=t3.created_at + timedelta(hours=hours),
                spent_minutes=hours * 60,
                outcome=outcome,
            )
        )
    db.session.commit()
    monkeypatch.setattr(exports, "BATCH", 2)
    client = signed_in(app, world.coordinator)
    rows = _csv_rows(client.get("/suivi/export/demandes.csv?du=2026-03-01&au=2026-03-31").data)
    cells = {row[3]: row[14:18] for row in rows[1:]}
    assert cells["Panne 1"] == ["2", "oui", "10", "oui"]
    assert cells["Panne 2"] == ["4", "oui", "20", "non"]
    assert cells["Panne 3"] == ["3", "oui", "", ""]  # Brabant's latest plan clock, no resolve
    assert cells["Panne 4"] == ["1", "oui", "", ""]  # the last recorded of its two plan clocks


def test_backlog_buckets_at_their_exact_bounds(world):
    """Held exactly 1, 3, 7 and 15 days: the next bucket, as age_bucket() says."""
    tickets = build_handmade(world)
    held = [0.5, 1, 3, 7, 15]
    for ticket, days in zip(tickets, held, strict=True):
        ticket.status, ticket.supplier = "open", world.supplier
        ticket.supplier_assigned_at = NOW - timedelta(days=days)
    db.session.commit()
    board = dashboard(MARCH, now=NOW)
    meuse = next(card for card in board.cards if card.name == "Meuse Informatique")
    assert meuse.backlog == [1, 1, 1, 1, 1]
