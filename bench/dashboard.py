"""The coordinator's dashboard under load: its pages and exports over 100,000 tickets.

    .venv/bin/python -m bench.dashboard                       # SQLite in a temporary folder
    .venv/bin/python -m bench.dashboard --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.dashboard --database URL   # again on a database --keep left

Fills a fresh database like bench.tickets (100,000 tickets over two years, 12 suppliers), adds
each ticket's supplier service-level clocks (planned within 8 business hours or late, finished
within 16 or late, some still running) and a reopening for one ticket in twenty, then requests,
signed in as the coordinator: the dashboard over twelve months by supplier and by lot, the
largest supplier's scorecard, and the scorecard and ticket exports. For each: median and 95th
percentile of the server time, SQL statements, response size. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import ServiceClock, Ticket, TicketEvent
from bench._support import bench_app
from bench.tickets import (
    NOW,
    StatementCounter,
    _reset_sequences,
    _summary,
    fill_directory,
    fill_tickets,
    sign_in,
)

BATCH = 10_000


def fill_clocks(rnd: random.Random) -> int:
    """Two supplier clocks per ticket that has a supplier, and a reopening for one in twenty."""
    rows, events, count = [], [], 0
    tickets = db.session.execute(
        select(Ticket.id, Ticket.supplier_id, Ticket.created_at, Ticket.status).where(
            Ticket.supplier_id.is_not(None)
        )
    ).all()
    for ticket_id, supplier_id, created, status in tickets:
        planned = status in ("in_progress", "done", "closed")
        finished = status in ("done", "closed")
        for kind, target, spent_range, stops in (
            ("plan", 8 * 60, (30, 16 * 60), planned),
            ("resolve", 16 * 60, (120, 40 * 60), finished),
        ):
            spent = rnd.randint(*spent_range) if stops else None
            rows.append(
                {
                    "ticket_id": ticket_id,
                    "round": 1,
                    "supplier_id": supplier_id,
                    "kind": kind,
                    "started_at": created,
                    "target_minutes": target,
                    "due_at": None if stops else created + timedelta(hours=target / 60 * 3),
                    "paused_minutes": 0,
                    "stopped_at": created + timedelta(minutes=spent * 3) if stops else None,
                    "spent_minutes": spent,
                    "outcome": ("met" if spent <= target else "breached") if stops else None,
                }
            )
        if finished and rnd.random() < 0.05:
            events.append(
                {
                    "ticket_id": ticket_id,
                    "kind": "reopen",
                    "body": "Le problème persiste.",
                    "internal": False,
                    "data": {},
                    "created_at": created + timedelta(days=3),
                }
            )
        if len(rows) >= BATCH:
            db.session.execute(insert(ServiceClock), rows)
            count += len(rows)
            rows = []
    if rows:
        db.session.execute(insert(ServiceClock), rows)
        count += len(rows)
    if events:
        db.session.execute(insert(TicketEvent), events)
    return count


def measure(client, counter, path: str, runs: int):
    """Like bench.tickets.measure, but the body is read inside the timing: the exports stream,
    so the answer's headers come back long before its last row."""
    warm = client.get(path)
    if warm.status_code != 200:
        return None, warm.status_code
    warm.get_data()
    times, statements, size = [], [], 0
    for _ in range(runs):
        counter.count = 0
        start = time.perf_counter()
        response = client.get(path)
        size = len(response.get_data())
        times.append((time.perf_counter() - start) * 1000)
        statements.append(counter.count)
    return (*_summary(times, statements), size), response.status_code


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", help="a PostgreSQL URL to create the bench database beside")
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the filled database afterwards")
    ap.add_argument("--database", help="measure a database an earlier --keep run filled")
    args, _unknown = ap.parse_known_args(argv)

    if args.database:
        with bench_app(None, SQLALCHEMY_DATABASE_URI=args.database) as app:
            with app.app_context():
                engine = db.engine
            _measure_pages(app, engine, args.runs)
        return
    with bench_app(args.postgres, keep=args.keep) as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            started = time.perf_counter()
            rnd = random.Random(11)
            people = fill_directory(rnd)
            counts = fill_tickets(args.tickets, people, rnd)
            _reset_sequences()
            db.session.commit()
            clocks = fill_clocks(rnd)
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
            else:
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            print(
                f"database: {make_url(url).get_backend_name()}, {counts['tickets']:,} tickets, "
                f"{clocks:,} clocks, filled in {time.perf_counter() - started:.1f} s"
            )
            engine = db.engine
            db.session.remove()
        _measure_pages(app, engine, args.runs)


def _measure_pages(app, engine, runs: int) -> None:
    end = NOW.date()
    year = f"du={(end - timedelta(days=364)).isoformat()}&au={end.isoformat()}"
    quarter = f"du={(end - timedelta(days=89)).isoformat()}&au={end.isoformat()}"
    pages = [
        ("dashboard, 12 months, by supplier", f"/suivi/?{year}"),
        ("dashboard, 12 months, by lot", f"/suivi/?{year}&groupe=lot"),
        ("dashboard, 3 months, by supplier", f"/suivi/?{quarter}"),
        ("largest supplier's scorecard, 12 months", f"/suivi/fournisseurs/1?{year}"),
        ("scorecards export, CSV, 12 months", f"/suivi/export/fiches.csv?{year}"),
        ("scorecards export, XLSX, 12 months", f"/suivi/export/fiches.xlsx?{year}"),
        ("tickets export, CSV, 3 months", f"/suivi/export/demandes.csv?{quarter}"),
        ("tickets export, XLSX, 3 months", f"/suivi/export/demandes.xlsx?{quarter}"),
    ]
    counter = StatementCounter(engine)
    client = app.test_client()
    sign_in(client, "coordinator@example.com")
    print(f"{'request':<44} {'median':>9} {'p95':>8} {'SQL':>6} {'bytes':>8}")
    for label, path in pages:
        times = runs if "export" not in label else max(3, runs // 3)
        result, status = measure(client, counter, path, times)
        if result is None:
            print(f"{label:<44} HTTP {status}")
            continue
        median, p95, statements, size = result
        print(f"{label:<44} {median:>7.0f}ms {p95:>6.0f}ms {statements:>6} {size:>8}")


if __name__ == "__main__":
    main()
