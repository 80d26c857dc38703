"""Tickets under load: the list « Demandes », the ticket page and one transition.

    .venv/bin/python -m bench.tickets                         # SQLite in a temporary folder
    .venv/bin/python -m bench.tickets --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.tickets --postgres … --tickets 1000000 --redis redis://127.0.0.1:6379/0

Fills a fresh database (built by the migrations) with 100,000 tickets (or --tickets) over 5,000
sites and 12 suppliers, in every state, with their participants, interventions and activity,
through bulk inserts (core `insert()` with lists of rows). Then, signed in as a user of the
largest supplier (a fifth of all tickets), as a coordinator and as a teacher, it requests each
page through the Flask test client the way a browser would (full page) or htmx does (fragment),
and applies the « Intervention en cours » transition (PLAN) to open tickets through the ticket
service. For each: median and 95th percentile of the server time, and SQL statements per request.

With --postgres, the URL is a database to connect to; the benchmark creates its own database
beside it and drops it at the end. Without --redis, the mails of the transition are delivered
in-process to a temporary dev mailbox, inside the measured time (as the embedded mode does);
with it, they are queued (as production does) and the queue is emptied at the end.
Not a test: it asserts nothing but prints figures.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import make_url

from app.auth.passwords import hash_password
from app.extensions import db
from app.models import (
    Establishment,
    Intervention,
    Participant,
    PortalCategory,
    RequestType,
    Role,
    Site,
    Supplier,
    Ticket,
    TicketEvent,
    User,
)
from app.models.school import sync_site_search
from app.models.ticket import ticket_search_columns
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action, Status
from bench._support import bench_app

PASSWORD = "Cerf-volant-bleu-42!"
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
SITES = 5000
SUPPLIERS = 12
BATCH = 10_000
PROBLEMS = [
    "Écran interactif ne s'allume plus",
    "Ordinateur portable ne démarre plus",
    "Clavier : plusieurs touches inopérantes",
    "Batterie ne tient plus la charge",
    "Tablette bloquée sur le logo",
    "Vitre de la tablette fêlée",
    "Vidéoprojecteur : image très sombre",
    "Visualiseur non reconnu par l'ordinateur",
    "Pas de son sur l'écran interactif",
    "Pas de connexion Wi-Fi",
]
NAMES = ["Dumont", "Lambert", "Dubois", "Martin", "Leclercq", "Gilson", "Renard", "Collard"]
FIRST = ["Claire", "Julie", "Marc", "Sophie", "Thomas", "Inès", "Amina", "Pierre"]
TOWNS = ["BORLON", "NAMUR", "LIÈGE", "MONS", "ATH", "ARLON", "WAVRE", "CHARLEROI", "HUY"]
KINDS = ["Ecole fondamentale communale", "Athénée royal", "Institut", "Ecole libre"]
# Events a ticket in each state went through (after "created").
HISTORY = {
    Status.OPEN: [],
    Status.IN_PROGRESS: [("plan", Status.OPEN, Status.IN_PROGRESS)],
    Status.DONE: [
        ("plan", Status.OPEN, Status.IN_PROGRESS),
        ("finish", Status.IN_PROGRESS, Status.DONE),
    ],
    Status.CLOSED: [
        ("plan", Status.OPEN, Status.IN_PROGRESS),
        ("finish", Status.IN_PROGRESS, Status.DONE),
        ("approve", Status.DONE, Status.CLOSED),
    ],
    Status.CANCELLED: [("cancel", Status.OPEN, Status.CANCELLED)],
}


# ------------------------------------------------------------------ filling


def _batched(rows, size=BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(model, rows) -> int:
    count = 0
    for batch in _batched(rows):
        db.session.execute(insert(model), batch)
        count += len(batch)
    return count


def fill_directory(rnd: random.Random) -> dict:
    n_est = SITES * 3 // 5
    _insert(
        Establishment,
        (
            {
                "id": i,
                "fase": 1000 + i,
                "name": f"{rnd.choice(KINDS)} {rnd.choice(NAMES)} {i}",
                "locality": rnd.choice(TOWNS),
                "postal_code": "5000",
            }
            for i in range(1, n_est + 1)
        ),
    )
    _insert(
        Site,
        (
            {
                "id": i,
                "establishment_id": i if i <= n_est else rnd.randint(1, n_est),
                "fi": 5000 + i,
                "address": f"Rue de l'École {i}",
                "postal_code": "5000",
                "locality": rnd.choice(TOWNS),
            }
            for i in range(1, SITES + 1)
        ),
    )
    sync_site_search(db.session)  # bulk inserts skip the ORM's events
    _insert(
        Supplier,
        (
            {"id": s, "name": f"Fournisseur {s:02d}", "reference_email": f"ref{s}@example.com"}
            for s in range(1, SUPPLIERS + 1)
        ),
    )
    categories = [("TECH", "Assistance technique"), ("INFO", "Centre d'informations")]
    categories.append(("PROJ", "Gestion de projet"))
    _insert(
        PortalCategory,
        ({"id": i, "key": k, "name": n, "position": i} for i, (k, n) in enumerate(categories, 1)),
    )
    types = ["Retour fournisseur", "Demande d'informations", "Accompagnement de projet"]
    _insert(
        RequestType,
        ({"id": i, "category_id": i, "name": n} for i, n in enumerate(types, 1)),
    )
    hashed = hash_password(PASSWORD)
    people = []

    def person(role, email, name, **kw):
        people.append(
            {"email": email, "full_name": name, "role": role.value, "password_hash": hashed, **kw}
        )

    for k in range(8):
        person(Role.ASSISTANT, f"assistant{k}@example.com", f"{FIRST[k]} {NAMES[k]}")
    person(Role.COORDINATOR, "coordinator@example.com", "Coordination")
    for s in range(1, SUPPLIERS + 1):
        for k in range(5):
            person(Role.SUPPLIER, f"s{s}u{k}@example.com", f"Tech {s}-{k}", supplier_id=s)
    for k in range(3000):
        name = f"{rnd.choice(FIRST)} {rnd.choice(NAMES)}-{k}"
        person(Role.TEACHER, f"prof{k}@example.com", name, site_id=rnd.randint(1, SITES))
    _insert(User, people)
    db.session.flush()
    ids = dict(db.session.execute(select(User.email, User.id)).all())
    teachers = db.session.execute(
        select(User.id, User.site_id, User.full_name, User.email).where(User.role == "teacher")
    ).all()
    return {
        "assistants": [ids[f"assistant{k}@example.com"] for k in range(8)],
        "coordinator": ids["coordinator@example.com"],
        "supplier_users": {
            s: [ids[f"s{s}u{k}@example.com"] for k in range(5)] for s in range(1, SUPPLIERS + 1)
        },
        "teachers": teachers,
    }


def _status_for(age_days: float, rnd: random.Random) -> Status:
    if age_days > 45:
        return Status.CANCELLED if rnd.random() < 0.06 else Status.CLOSED
    return rnd.choices(
        [Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.CLOSED, Status.CANCELLED],
        weights=[30, 25, 20, 20, 5],
    )[0]


def fill_tickets(total: int, people: dict, rnd: random.Random) -> dict:
    """`total` tickets, oldest first, with their participants, interventions and events."""
    span = timedelta(days=730)
    numbers = {1: 0, 2: 0, 3: 0}
    keys = {1: "TECH", 2: "INFO", 3: "PROJ"}
    teachers = people["teachers"]
    tickets, participants, interventions, events = [], [], [], []
    counts = {"tickets": 0, "participants": 0, "interventions": 0, "events": 0}
    event_id = 0

    def flush(final=False):
        nonlocal tickets, participants, interventions, events
        for model, rows, key in (
            (Ticket, tickets, "tickets"),
            (Participant, participants, "participants"),
            (Intervention, interventions, "interventions"),
            (TicketEvent, events, "events"),
        ):
            if rows:
                db.session.execute(insert(model), rows)
                counts[key] += len(rows)
        tickets, participants, interventions, events = [], [], [], []

    for ticket_id in range(1, total + 1):
        created = NOW - span + span * (ticket_id / total) - timedelta(minutes=rnd.randint(0, 600))
        age = (NOW - created).total_seconds() / 86400
        status = _status_for(age, rnd)
        category = 1 if rnd.random() < 0.9 else rnd.choice((2, 3))
        numbers[category] += 1
        # The largest company holds a fifth of the tickets; a few have no company (sent back).
        roll = rnd.random()
        supplier = 1 if roll < 0.2 else (None if roll > 0.97 else rnd.randint(2, SUPPLIERS))
        if supplier is None and status != Status.OPEN:
            supplier = rnd.randint(2, SUPPLIERS)
        teacher = rnd.choice(teachers)
        linked = rnd.random() < 0.4  # the contact has an account
        creator = rnd.choice(people["assistants"])
        label = f"EN01-LOT{rnd.randint(1, 5):02d}-{ticket_id:07d}"
        step = timedelta(hours=rnd.randint(4, 60))
        finished = status in (Status.CLOSED, Status.CANCELLED)
        last = created + step * len(HISTORY[status])
        tickets.append(
            {
                "id": ticket_id,
                "category_id": category,
                "number": numbers[category],
                "reference": f"{keys[category]}-{numbers[category]}",
                "request_type_id": category,
                "status": status.value,
                "summary": rnd.choice(PROBLEMS),
                "description": "Diagnostic fait à distance avec l'école : intervention requise.",
                "site_id": teacher.site_id,
                "contact_name": teacher.full_name,
                "contact_phone": f"+3281{rnd.randrange(10**6):06d}",
                "contact_email": teacher.email,
                "contact_user_id": teacher.id if linked else None,
                "equipment_label": label,
                "equipment_serial": f"SN{rnd.randrange(10**10):010d}",
                "equipment_description": "Lot 01 - Ordinateur portable",
                "supplier_id": supplier,
                "technician_id": None,
                "assignee_id": creator,
                "creator_id": creator,
                "round": 1,
                "version": 1 + len(HISTORY[status]),
                "created_at": created,
                "updated_at": last,
                "status_changed_at": last,
                "supplier_assigned_at": created if supplier else None,
                "closed_at": last if finished else None,
            }
        )
        # Bulk inserts skip the ORM events: the folded search columns are filled here.
        tickets[-1].update(ticket_search_columns(tickets[-1]))
        participants.append(
            {"ticket_id": ticket_id, "user_id": creator, "notify": True, "added_at": created}
        )
        if linked:
            participants.append(
                {"ticket_id": ticket_id, "user_id": teacher.id, "notify": True, "added_at": created}
            )
        event_id += 1
        events.append(
            {
                "id": event_id,
                "ticket_id": ticket_id,
                "actor_id": creator,
                "kind": "created",
                "to_status": Status.OPEN.value,
                "body": "",
                "internal": False,
                "data": {},
                "created_at": created,
            }
        )
        for n, (kind, before, after) in enumerate(HISTORY[status], 1):
            at = created + step * n
            actor = creator
            if kind in ("plan", "finish") and supplier:
                actor = people["supplier_users"][supplier][0]
            elif kind == "approve" and linked:
                actor = teacher.id
            event_id += 1
            events.append(
                {
                    "id": event_id,
                    "ticket_id": ticket_id,
                    "actor_id": actor,
                    "kind": kind,
                    "from_status": before.value,
                    "to_status": after.value,
                    "body": "Bonjour,\nL’intervention est prévue." if kind == "plan" else "",
                    "internal": False,
                    "data": {},
                    "created_at": at,
                }
            )
        if status in (Status.IN_PROGRESS, Status.DONE, Status.CLOSED) and supplier:
            planned = created + step * 2
            interventions.append(
                {
                    "ticket_id": ticket_id,
                    "supplier_id": supplier,
                    "round": 1,
                    "planned_at": planned,
                    "message": "Bonjour,\nL’intervention est prévue.",
                    "sequence": 0,
                    "finished_at": planned + timedelta(hours=2)
                    if status != "in_progress"
                    else None,
                    "summary": "Réparé." if status != Status.IN_PROGRESS else "",
                    "on_the_spot": False,
                    "created_at": created + step,
                }
            )
        if len(tickets) >= BATCH:
            flush()
    flush()
    for category, last_number in numbers.items():
        db.session.execute(
            update(PortalCategory)
            .where(PortalCategory.id == category)
            .values(last_number=last_number)
        )
    return counts


def _reset_sequences() -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("establishment", "school_site", "supplier", "portal_category", "request_type"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    for table in ("ticket", "ticket_event"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


# ------------------------------------------------------------------ measuring


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


def sign_in(client, email: str) -> None:
    html = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        "/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code


def _summary(times: list[float], statements: list[int]) -> tuple[float, float, str]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    low, high = min(statements), max(statements)
    return statistics.median(times), p95, str(low) if low == high else f"{low}-{high}"


def measure(client, counter, path: str, runs: int, headers=None):
    warm = client.get(path, headers=headers)
    if warm.status_code != 200:
        return None, warm.status_code
    times, statements, size = [], [], 0
    for _ in range(runs):
        counter.count = 0
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        statements.append(counter.count)
        size = len(response.data)
    rows = len(re.findall(rb'class="row-link"', response.data))
    return (*_summary(times, statements), size, rows), response.status_code


def print_row(label, median, p95, statements, size="", rows=""):
    print(f"{label:<44} {median:>9.1f} {p95:>8.1f} {statements:>6} {size!s:>8} {rows!s:>5}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", help="a PostgreSQL URL to create the bench database beside")
    ap.add_argument("--redis", help="a Redis URL: queue the transition's mails, as production")
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN queries)")
    args = ap.parse_args(argv)

    with bench_app(args.postgres, keep=args.keep, REDIS_URL=args.redis) as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            started = time.perf_counter()
            rnd = random.Random(11)
            people = fill_directory(rnd)
            counts = fill_tickets(args.tickets, people, rnd)
            _reset_sequences()
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
            else:
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            print(
                f"database: {make_url(url).get_backend_name()}, {counts['tickets']:,} tickets, "
                f"{counts['events']:,} events, {counts['participants']:,} participants, "
                f"{counts['interventions']:,} interventions, "
                f"filled in {time.perf_counter() - started:.1f} s"
            )
            supplier_user = people["supplier_users"][1][0]
            supplier_email = db.session.get(User, supplier_user).email
            own = select(func.count(Ticket.id)).where(Ticket.supplier_id == 1)
            own_open = own.where(Ticket.status.in_(["open", "in_progress", "done"]))
            print(
                f"the supplier signed in holds {db.session.scalar(own):,} tickets, "
                f"{db.session.scalar(own_open):,} of them open"
            )
            sample = db.session.execute(
                select(Ticket.reference, Ticket.equipment_serial, Ticket.contact_phone)
                .where(Ticket.supplier_id == 1, Ticket.status == "open")
                .order_by(Ticket.id.desc())
                .limit(1)
            ).one()
            teacher = db.session.execute(
                select(User.email)
                .join(Ticket, Ticket.contact_user_id == User.id)
                .where(Ticket.status.in_(["open", "in_progress", "done"]))
                .group_by(User.email)
                .order_by(func.count(Ticket.id).desc())
                .limit(1)
            ).scalar_one()
            to_plan = list(
                db.session.scalars(
                    select(Ticket.id)
                    .where(Ticket.supplier_id == 1, Ticket.status == "open")
                    .order_by(Ticket.id)
                    .limit(args.runs + 1)
                )
            )
            engine = db.engine
            db.session.remove()

        counter = StatementCounter(engine)
        htmx = {"HX-Request": "true"}
        reference, serial, phone = sample
        national = "0" + phone[3:]
        spoken_phone = f"{national[:3]}/{national[3:5]}.{national[5:7]}.{national[7:]}"
        suites = [
            (
                supplier_email,
                "supplier",
                [
                    ("list, open (default)", "/demandes", None),
                    ("list, open (htmx)", "/demandes", htmx),
                    ("list, closed", "/demandes?etat=fermees", None),
                    (
                        "list, all, sorted by summary (htmx)",
                        "/demandes?etat=toutes&tri=resume",
                        htmx,
                    ),
                    ("list, all, page 200", "/demandes?etat=toutes&page=200", None),
                    ("list, search a word (htmx)", "/demandes?q=tablette", htmx),
                    ("list, search a word, all states", "/demandes?q=ecran&etat=toutes", None),
                    ("list, search a reference", f"/demandes?q={reference}&etat=toutes", None),
                    ("list, search a serial part (htmx)", f"/demandes?q={serial[2:9]}", htmx),
                    ("ticket page", f"/demandes/{reference}", None),
                ],
            ),
            (
                "coordinator@example.com",
                "coordinator",
                [
                    ("list, open (default)", "/demandes", None),
                    (
                        "list, in progress, one supplier",
                        "/demandes?etat=in_progress&fournisseur=3",
                        None,
                    ),
                    ("list, without supplier", "/demandes?fournisseur=aucun", None),
                    ("list, search a word, all (htmx)", "/demandes?q=clavier&etat=toutes", htmx),
                    ("list, search a phone as written", f"/demandes?q={spoken_phone}", None),
                    (
                        "list, all, sorted by person in charge",
                        "/demandes?etat=toutes&tri=responsable",
                        None,
                    ),
                ],
            ),
            (
                teacher,
                "teacher",
                [
                    ("list, open (default)", "/demandes", None),
                    ("list, all (htmx)", "/demandes?etat=toutes", htmx),
                ],
            ),
        ]
        print(
            f"{'request':<44} {'median ms':>9} {'p95 ms':>8} {'SQL':>6} {'bytes':>8} {'rows':>5}"
            f"   ({args.runs} runs)"
        )
        for email, who, pages in suites:
            client = app.test_client()
            sign_in(client, email)
            for label, path, headers in pages:
                figures, status = measure(client, counter, path, args.runs, headers)
                if figures is None:
                    print(f"{who}: {label:<34} HTTP {status}, not measured")
                    continue
                print_row(f"{who}: {label}", *figures)

        # One transition, applied by the service as the route does (each run a fresh ticket).
        with app.app_context():
            actor = db.session.get(User, supplier_user)
            times, statements = [], []
            for ticket_id in to_plan:
                visit = datetime.now(UTC) + timedelta(days=2)
                counter.count = 0
                start = time.perf_counter()
                apply_action(actor, ticket_id, Action.PLAN, ActionInput(planned_at=visit))
                times.append((time.perf_counter() - start) * 1000)
                statements.append(counter.count)
                actor = db.session.get(User, supplier_user)
            median, p95, statements_text = _summary(times[1:], statements[1:])
            print_row("supplier: PLAN (service, commit, mails)", median, p95, statements_text)
            if args.redis:
                from app.jobs import get_queue

                get_queue().empty()


if __name__ == "__main__":
    main()
