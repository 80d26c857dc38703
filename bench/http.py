"""Relais over real HTTP: gunicorn with 2 sync workers on a filled database, measured by a client.

    .venv/bin/python -m bench.http --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.http --postgres … --tickets 10000 --runs 50
    .venv/bin/python -m bench.http --database URL      # a database an earlier --keep run filled

Fills a fresh database as bench.tickets does (100,000 tickets by default, bulk inserts; say how
long it took), or takes one already filled (--database). Then starts gunicorn with
deploy/gunicorn.conf.py, 2 sync workers on a free loopback port, signs in through the real form
as the largest supplier's user and as the coordinator, and measures over HTTP, compressed as a
browser asks (`Accept-Encoding: gzip, br`):

- each page requested --runs times one after the other: median and 95th percentile of the time
  from sending the request to the last byte of the answer;
- the same pages by 8 clients at once (threads, one connection per request as gunicorn's sync
  workers close each): requests per second over --concurrent-runs requests;
- SQL statements per page, counted in-process on the same database through the test client
  (gunicorn's workers are other processes);
- the first load (the page, then the style sheet, script and icon it names) and a second page
  (its HTML only: the assets' fingerprinted names are cached for a year), in bytes on the wire.

Not a test: it asserts nothing but prints figures. Run it on an idle machine for figures worth
comparing; the machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import Ticket, User
from bench._support import bench_app
from bench.tickets import (
    PASSWORD,
    StatementCounter,
    _reset_sequences,
    fill_directory,
    fill_tickets,
    sign_in,
)

ROOT = Path(__file__).resolve().parent.parent
ENCODINGS = {"Accept-Encoding": "gzip, br"}
HTMX = {"HX-Request": "true"}
CONCURRENCY = 8


# ------------------------------------------------------------------ the database


def fill(count: int) -> float:
    """Fill the app's database with `count` tickets; the seconds it took (VACUUM included)."""
    started = time.perf_counter()
    rnd = random.Random(11)
    people = fill_directory(rnd)
    fill_tickets(count, people, rnd)
    _reset_sequences()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def pages() -> list[tuple[str, str, str, dict]]:
    """(who, label, path, headers) for the measured pages, from what the database holds."""
    supplier = db.session.scalar(
        select(User.email).where(User.supplier_id == 1).order_by(User.id).limit(1)
    )
    reference = db.session.scalar(
        select(Ticket.reference)
        .where(Ticket.supplier_id == 1, Ticket.status == "open")
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return [
        (supplier, "supplier: list, open (first page)", "/demandes", {}),
        (supplier, "supplier: list, open (htmx fragment)", "/demandes", HTMX),
        (supplier, "supplier: search a word, all states", "/demandes?q=ecran&etat=toutes", {}),
        (supplier, "supplier: ticket page", f"/demandes/{reference}", {}),
        ("coordinator@example.com", "coordinator: list, open", "/demandes", {}),
        (
            "coordinator@example.com",
            "coordinator: search a word, all states",
            "/demandes?q=clavier&etat=toutes",
            {},
        ),
        (
            "coordinator@example.com",
            "coordinator: all, by person in charge",
            "/demandes?etat=toutes&tri=responsable",
            {},
        ),
    ]


def statements_per_page(app, measured) -> dict[str, int]:
    """SQL statements of each page, counted in-process (the second of two requests)."""
    with app.app_context():
        counter = StatementCounter(db.engine)
    counts, clients = {}, {}
    for who, label, path, headers in measured:
        if who not in clients:
            clients[who] = app.test_client()
            sign_in(clients[who], who)
        clients[who].get(path, headers=headers)
        counter.count = 0
        clients[who].get(path, headers=headers)
        counts[label] = counter.count
    return counts


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workdir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-123",
        "RELAIS_ENV": "development",
        "FLASK_DEBUG": "0",
        "RELAIS_INSTANCE_PATH": str(workdir / "instance"),
        "RELAIS_LOGIN_RATE_LIMIT": "1000 per minute",
        "RELAIS_LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "RUNTIME_DIRECTORY": str(workdir),
    }
    log = (workdir / "gunicorn.log").open("w")
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped: see {workdir / 'gunicorn.log'}")
        try:
            if get(port, "/sante", {})[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)  # waiting for the workers to listen, not measuring
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


# ------------------------------------------------------------------ the client


def get(port: int, path: str, headers: dict, method="GET", body=None):
    """(status, headers, body as sent: compressed if the server compressed it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def cookie_header(jar: SimpleCookie) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


def signed_in(port: int, email: str) -> dict:
    """The headers of a browser signed in as `email` (through the real form, CSRF included)."""
    jar = SimpleCookie()
    status, headers, body = get(port, "/connexion", {})
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    form = urlencode({"email": email, "password": PASSWORD, "csrf_token": token.decode()})
    status, headers, _ = get(
        port,
        "/connexion",
        {"Cookie": cookie_header(jar), "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
        body=form,
    )
    assert status in (302, 303), f"sign-in as {email}: HTTP {status}"
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {"Cookie": cookie_header(jar), **ENCODINGS}


def timed(port: int, path: str, headers: dict) -> float:
    start = time.perf_counter()
    status, _headers, _body = get(port, path, headers)
    elapsed = (time.perf_counter() - start) * 1000
    assert status == 200, f"{path}: HTTP {status}"
    return elapsed


def sequential(port, path, headers, runs) -> tuple[float, float]:
    timed(port, path, headers)  # warm-up: each worker's first request pays for imports
    times = sorted(timed(port, path, headers) for _ in range(runs))
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * len(times)) - 1)]


def concurrent(port, path, headers, total) -> float:
    """Requests per second with CONCURRENCY clients at once."""
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        start = time.perf_counter()
        list(pool.map(lambda _n: timed(port, path, headers), range(total)))
        return total / (time.perf_counter() - start)


ASSET = re.compile(rb'(?:href|src)="(/static/[^"]+)"')


def weights(port: int, headers: dict, first: str, second: str) -> tuple[int, int, int, str]:
    """Bytes on the wire (bodies, as sent) of a first load and of a second page, and the number
    of assets the first load fetched, with the assets' Cache-Control."""
    _status, _headers, page = get(port, first, headers)
    total, cache = len(page), ""
    # The asset names, read from the same page asked for without compression.
    plain = {k: v for k, v in headers.items() if k != "Accept-Encoding"}
    assets = sorted(set(ASSET.findall(get(port, first, plain)[2])))
    for asset in assets:
        _status, asset_headers, body = get(port, asset.decode(), ENCODINGS)
        total += len(body)
        cache = asset_headers.get("Cache-Control", "")
    _status, _headers, next_page = get(port, second, headers)
    return total, len(next_page), len(assets), cache


# ------------------------------------------------------------------ running it


def measure(app, url: str, args) -> None:
    with app.app_context():
        measured = pages()
        tickets = db.session.scalar(select(func.count()).select_from(Ticket))
    counts = statements_per_page(app, measured)
    workdir = Path(tempfile.mkdtemp(prefix="relais-http-"))
    port = free_port()
    server = start_gunicorn(url, port, workdir)
    try:
        print(
            f"database: {make_url(url).get_backend_name()}, {tickets:,} tickets; gunicorn, "
            f"2 sync workers; load average {os.getloadavg()[0]:.1f} before measuring"
        )
        print(
            f"{'page':<42} {'median ms':>9} {'p95 ms':>7} {'req/s @8':>9} {'SQL':>4}"
            f"   ({args.runs} sequential, {args.concurrent_runs} at concurrency {CONCURRENCY})"
        )
        sessions = {}
        for who, label, path, extra in measured:
            if who not in sessions:
                sessions[who] = signed_in(port, who)
            headers = {**sessions[who], **extra}
            median, p95 = sequential(port, path, headers, args.runs)
            rate = concurrent(port, path, headers, args.concurrent_runs)
            print(f"{label:<42} {median:>9.1f} {p95:>7.1f} {rate:>9.1f} {counts[label]:>4}")
        supplier, _label, list_path, _extra = measured[0]
        ticket_path = measured[3][2]
        first, second, assets, cache = weights(port, sessions[supplier], list_path, ticket_path)
        print(
            f"first load (the list, then its {assets} assets), compressed: {first:,} bytes; "
            f"second page (the ticket, HTML only): {second:,} bytes; assets' Cache-Control: "
            f"{cache or 'none'}"
        )
        print(f"load average {os.getloadavg()[0]:.1f} after measuring")
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", help="a PostgreSQL URL to create the bench database beside")
    ap.add_argument("--database", help="measure a database an earlier --keep run filled")
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=200, help="sequential requests per page")
    ap.add_argument("--concurrent-runs", type=int, default=200, help="requests at concurrency 8")
    ap.add_argument("--keep", action="store_true", help="keep the filled database afterwards")
    ap.add_argument("--redis", help="ignored (accepted so that `make bench ARGS=…` passes it)")
    args = ap.parse_args(argv)

    if args.database:
        with bench_app(None, SQLALCHEMY_DATABASE_URI=args.database) as app:
            measure(app, args.database, args)
        return
    with bench_app(args.postgres, keep=args.keep) as app:
        with app.app_context():
            seconds = fill(args.tickets)
            print(f"filled {args.tickets:,} tickets in {seconds:.0f} s (bulk inserts, VACUUM)")
        measure(app, app.config["SQLALCHEMY_DATABASE_URI"], args)


if __name__ == "__main__":
    main()
