"""The coordinator's dashboard: figures on a hand-made set whose answers are worked out below,
who may see what, and exports that a real XLSX reader opens with the same rows as the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete

from app.dashboard import stats
from app.dashboard.figures import Period, dashboard
from app.dashboard.kept import rebuild
from app.extensions import db
from app.models import ServiceClock, TicketEvent
from tests.support import factories
from tests.support.web import signed_in

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
IN_MARCH = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------ pure arithmetic


def test_nearest_rank_and_median_by_hand():
    assert stats.nearest_rank([2, 4, 12, 6], 90) == 12  # rank ceil(3.6) = 4
    assert stats.nearest_rank([10, 20], 90) == 20  # rank ceil(1.8) = 2
    assert stats.nearest_rank(list(range(1, 11)), 90) == 9  # rank 9 of 10
    assert stats.nearest_rank([], 90) is None
    assert stats.median([2, 4, 12, 6]) == 5
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([]) is None


def test_age_buckets():
    assert [stats.age_bucket(d) for d in (0, 0.99, 1, 2.9, 3, 6.9, 7, 14.9, 15, 400)] == [
        0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip


# ------------------------------------------------------------------ the hand-made set


def _clock(ticket, supplier, kind, *, started, outcome=None, hours=None, due=None, rnd=1):
    clock = ServiceClock(
        ticket_id=ticket.id,
        round=rnd,
        supplier_id=supplier.id,
        kind=kind,
        started_at=started,
        target_minutes=8 * 60 if kind == "plan" else 16 * 60,
        due_at=due,
        stopped_at=started + timedelta(hours=hours or 1) if outcome else None,
        spent_minutes=round(hours * 60) if hours is not None else None,
        outcome=outcome,
    )
    db.session.add(clock)
    return clock


def _event(ticket, kind):
    db.session.add(TicketEvent(ticket=ticket, kind=kind, created_at=IN_MARCH, data={}))


@pytest.fixture
def handmade(world):
    return build_handmade(world)


def build_handmade(world):
    """Meuse received t1–t4 in March, Brabant t5; one Meuse clock from February is left out.

    Meuse, taken into account: 2, 4, 12 (late), 6 h → median 5, P90 12, 3 on time of 4.
    Meuse, resolved: 10, 20 (late) h, t3 running past due, t4 running on time → median 15,
    P90 20, 1 on time of 3. Reopened: t2 (1 of 4). Closed: t1 (automatically) and t2 → 1 of 2.
    Backlog now: t3 held 10 days (7–15 j), t4 held 2 days (1–3 j).
    Brabant: 1 h and 3 h, on time; t5 closed by its teacher.
    """
    tickets = [world.new_ticket(summary=f"Panne {n}") for n in range(1, 6)]
    t1, t2, t3, t4, t5 = tickets
    lot = factories.equipment(lot="Lot 04", supplier=world.supplier, site=world.site)
    db.session.execute(delete(ServiceClock))  # whatever the service started: the set is ours
    meuse, brabant = world.supplier, world.other_supplier
    for ticket, status in ((t1, "closed"), (t2, "closed"), (t3, "in_progress"), (t4, "open")):
        ticket.status = status
        ticket.supplier = meuse
    t1.equipment = t2.equipment = lot
    t3.supplier_assigned_at = NOW - timedelta(days=10)
    t4.supplier_assigned_at = NOW - timedelta(days=2)
    t5.supplier, t5.status = brabant, "closed"
    _clock(t1, meuse, "plan", started=IN_MARCH, outcome="met", hours=2)
    _clock(t1, meuse, "resolve", started=IN_MARCH, outcome="met", hours=10)
    _clock(t2, meuse, "plan", started=IN_MARCH, outcome="met", hours=4)
    _clock(t2, meuse, "resolve", started=IN_MARCH, outcome="breached", hours=20)
    _clock(t3, meuse, "plan", started=IN_MARCH, outcome="breached", hours=12)
    _clock(t3, meuse, "resolve", started=IN_MARCH, due=NOW - timedelta(days=1))
    _clock(t4, meuse, "plan", started=IN_MARCH, outcome="met", hours=6)
    _clock(t4, meuse, "resolve", started=IN_MARCH, due=NOW + timedelta(hours=3))
    _clock(t4, meuse, "plan", started=datetime(2026, 2, 20, tzinfo=UTC), outcome="met", hours=1)
    _clock(t5, brabant, "plan", started=IN_MARCH, outcome="met", hours=1)
    _clock(t5, brabant, "resolve", started=IN_MARCH, outcome="met", hours=3)
    _event(t1, "auto_close")
    _event(t2, "reopen")
    db.session.commit()
    keep_figures()
    return tickets


def keep_figures() -> None:
    """Clocks written here bypass the ticket service: the periodic job's rebuild keeps them."""
    rebuild(db.session)
    db.session.commit()


def test_figures_per_supplier_match_the_hand_made_set(world, handmade):
    board = dashboard(MARCH, now=NOW)
    cards = {card.name: card for card in board.cards}
    assert set(cards) == {"Meuse Informatique", "Brabant Systèmes"}
    meuse = cards["Meuse Informatique"]
    assert meuse.received == 4
    assert (meuse.plan.median, meuse.plan.p90) == (5, 12)
    assert (meuse.plan.met, meuse.plan.measured, meuse.plan.within) == (3, 4, 0.75)
    assert meuse.plan.meets_bar is False
    assert (meuse.resolve.median, meuse.resolve.p90) == (15, 20)
    assert (meuse.resolve.met, meuse.resolve.measured) == (1, 3)
    assert meuse.reopen_rate == 0.25
    assert (meuse.closed, meuse.auto_closed, meuse.auto_close_rate) == (2, 1, 0.5)
    assert meuse.backlog == [0, 1, 0, 1, 0]
    brabant = cards["Brabant Systèmes"]
    assert (brabant.received, brabant.plan.within, brabant.resolve.within) == (1, 1.0, 1.0)
    assert brabant.plan.meets_bar is True
    assert brabant.backlog == [0, 0, 0, 0, 0]
    overall = board.overall
    assert overall.received == 5
    assert (overall.plan.median, overall.plan.p90, overall.plan.within) == (4, 12, 0.8)
    assert overall.backlog_total == 2


def test_figures_per_lot_and_for_one_supplier(world, handmade):
    board = dashboard(MARCH, group="lot", now=NOW)
    cards = {card.name: card for card in board.cards}
    assert cards["Lot 04"].received == 2
    assert (cards["Lot 04"].plan.median, cards["Lot 04"].plan.p90) == (3, 4)
    assert cards["Hors inventaire"].received == 3
    own = dashboard(MARCH, group="lot", supplier_id=world.other_supplier.id, now=NOW)
    assert [(c.name, c.received) for c in own.cards] == [("Hors inventaire", 1)]


def test_a_period_without_tickets_has_empty_figures(world, handmade):
    board = dashboard(Period(date(2025, 1, 1), date(2025, 1, 31)), now=NOW)
    assert board.overall.received == 0
    assert board.overall.plan.within is None


# ------------------------------------------------------------------ pages and permissions


def test_only_en_staff_see_the_dashboard(app, world, handmade):
    for user, status in (
        (world.coordinator, 200),
        (world.assistant, 200),
        (world.admin, 200),
        (world.supplier_user, 403),
        (world.teacher, 403),
    ):
        client = signed_in(app, user)
        assert client.get("/suivi/?du=2026-03-01&au=2026-03-31").status_code == status, user


def test_the_page_shows_charts_with_their_tables(app, world, handmade):
    client = signed_in(app, world.coordinator)
    page = client.get("/suivi/?du=2026-03-01&au=2026-03-31").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 4
    assert page.count('<table class="list dash-table"') == 3
    assert "Meuse Informatique" in page
    assert "(3 sur 4 passages)" in page  # planned on time, Meuse
    assert "sous l’objectif" in page


def test_a_supplier_sees_only_its_own_scorecard(app, world, handmade):
    client = signed_in(app, world.supplier_user)
    own = client.get(f"/suivi/fournisseurs/{world.supplier.id}?du=2026-03-01&au=2026-03-31")
    assert own.status_code == 200
    assert "Fiche de Meuse Informatique" in own.get_data(as_text=True)
    assert client.get(f"/suivi/fournisseurs/{world.other_supplier.id}").status_code == 404
    # Its exports are its own whatever the URL asks.
    export = client.get(
        f"/suivi/export/fiches.csv?du=2026-03-01&au=2026-03-31&fournisseur={world.other_supplier.id}"
    )
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert "Lot 04" in text
    demandes = client.get("/suivi/export/demandes.csv?du=2026-03-01&au=2026-03-31")
    assert "Panne 5" not in demandes.get_data(as_text=True)  # Brabant's
    teacher = signed_in(app, world.teacher)
    assert teacher.get(f"/suivi/fournisseurs/{world.supplier.id}").status_code == 404
    assert teacher.get("/suivi/export/fiches.csv").status_code == 403


def test_a_bad_period_is_explained_and_kept(app, world, handmade):
    client = signed_in(app, world.coordinator)
    page = client.get("/suivi/?du=2026-03-31&au=2026-03-01").get_data(as_text=True)
    assert "La date de fin précède la date de début." in page
    assert 'value="2026-03-31"' in page  # what was typed comes back
    page = client.get("/suivi/?du=pas-une-date").get_data(as_text=True)
    assert "Date illisible" in page


# ------------------------------------------------------------------ exports


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _xlsx_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _same(csv_value: str, xlsx_value) -> bool:
    if xlsx_value is None:
        return csv_value == ""
    if isinstance(xlsx_value, datetime):
        return csv_value == xlsx_value.strftime("%d/%m/%Y %H:%M")
    if isinstance(xlsx_value, float):
        return float(csv_value.replace(",", ".")) == pytest.approx(xlsx_value)
    return csv_value == str(xlsx_value)


@pytest.mark.parametrize("what", ["fiches", "demandes"])
def test_xlsx_and_csv_exports_hold_the_same_rows(app, world, handmade, what):
    client = signed_in(app, world.coordinator)
    query = "du=2026-03-01&au=2026-03-31"
    as_csv = client.get(f"/suivi/export/{what}.csv?{query}")
    as_xlsx = client.get(f"/suivi/export/{what}.xlsx?{query}")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in as_xlsx.headers["Content-Disposition"]
    csv_rows, xlsx_rows = _csv_rows(as_csv.data), _xlsx_rows(as_xlsx.data)
    assert len(csv_rows) == len(xlsx_rows) > 1
    for csv_row, xlsx_row in zip(csv_rows, xlsx_rows, strict=True):
        assert len(csv_row) == len(xlsx_row)
        assert all(_same(c, x) for c, x in zip(csv_row, xlsx_row, strict=True)), (
            csv_row,
            xlsx_row,
        )
    if what == "fiches":
        meuse = next(r for r in csv_rows if r[0] == "Meuse Informatique")
        assert meuse[1:5] == ["4", "5", "12", "75"]  # received, median, P90, % on time
    else:
        assert len(csv_rows) == 1 + 5  # the five tickets created in March


# ------------------------------------------------------------------ no formula in an export

HOSTILE = ['=HYPERLINK("http://evil.example";"x")', "+32 81 00 00 00", "-2+3", "@SUM(A1)"]
HOSTILE += ["\t=1+1", "\r=1+1"]


def test_csv_and_xlsx_cells_never_become_formulas():
    from app.dashboard.exports import csv_stream, xlsx_bytes

    row = [*HOSTILE, "Écran noir", -1.5, -3, 2.25]
    text = "".join(csv_stream(["h"] * len(row), [row]))
    [_header, cells] = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    # OWASP: a leading quote on text only; negative figures stay figures.
    assert cells == ["'" + value for value in HOSTILE] + ["Écran noir", "-1,5", "-3", "2,25"]

    sheet = load_workbook(io.BytesIO(xlsx_bytes(["h"] * len(row), [row], "x"))).active
    [written] = sheet.iter_rows(min_row=2)
    # (XML reads a carriage return back as a line feed.)
    assert [c.value for c in written] == [
        v.replace("\r", "\n") if isinstance(v, str) else v for v in row
    ]
    for cell in written[: len(HOSTILE)]:
        assert cell.data_type == "s", cell.value
        assert cell.quotePrefix
    assert written[len(HOSTILE)].data_type == "s"
    assert [c.data_type for c in written[-3:]] == ["n", "n", "n"]


def test_a_hostile_summary_is_exported_as_text(app, world):
    ticket = world.new_ticket(summary='=HYPERLINK("http://evil.example";"Cliquez")', serial="@SN")
    client = signed_in(app, world.coordinator)
    day = ticket.created_at.date().isoformat()
    query = f"du={day}&au={day}"
    rows = _csv_rows(client.get(f"/suivi/export/demandes.csv?{query}").data)
    assert rows[1][3] == '\'=HYPERLINK("http://evil.example";"Cliquez")'
    assert rows[1][10] == "'@SN"
    data = client.get(f"/suivi/export/demandes.xlsx?{query}").data
    [cells] = load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2)
    assert (cells[3].value, cells[3].data_type) == (ticket.summary, "s")
    assert (cells[10].value, cells[10].data_type) == ("@SN", "s")
