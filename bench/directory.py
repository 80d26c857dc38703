"""Directory pages under a realistic load of data: prints median and p95 per page.

    .venv/bin/python -m bench.directory                       # SQLite in a temporary folder
    .venv/bin/python -m bench.directory --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Fills a fresh database (built by the migrations) with 5,000 sites, 50,000 equipment items,
12 suppliers and their users, then requests each search page through the Flask test client,
signed in as a coordinator, the way a browser would (full page) and the way htmx does (fragment).
With --postgres, the URL is a database to connect to; the benchmark creates its own database
beside it and drops it at the end. Not a test: it asserts nothing but prints figures.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from app.auth.passwords import hash_password
from app.extensions import db
from app.models import Equipment, Establishment, Role, Site, Supplier, User
from app.models.equipment import equipment_search_text
from app.models.school import sync_site_search
from bench._support import bench_app

PASSWORD = "Cerf-volant-bleu-42!"
WORDS = [
    "Saint-Joseph",
    "Sainte-Marie",
    "du Sacré-Cœur",
    "des Tilleuls",
    "Notre-Dame",
    "du Centre",
    "de la Sapinière",
    "Léon Lepage",
    "Émile Verhaeren",
    "des Étangs",
    "Pierre Paulus",
]
KINDS = ["Ecole fondamentale communale", "Athénée royal", "Institut", "Ecole libre", "Lycée"]
TOWNS = [
    ("BORLON", "6941"),
    ("NAMUR", "5000"),
    ("LIÈGE", "4000"),
    ("MONS", "7000"),
    ("ATH", "7800"),
    ("ARLON", "6700"),
    ("WAVRE", "1300"),
    ("CHARLEROI", "6000"),
    ("TOURNAI", "7500"),
    ("BRUXELLES", "1000"),
    ("HUY", "4500"),
    ("DINANT", "5500"),
    ("SPA", "4900"),
]
TEACHING = ["Maternel ordinaire", "Primaire ordinaire", "Secondaire ordinaire"]


def fill(sites: int, items: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    n_est = sites * 3 // 5
    db.session.execute(
        insert(Establishment),
        [
            {
                "id": i,
                "fase": 1000 + i,
                "name": f"{rnd.choice(KINDS)} {rnd.choice(WORDS)} {i}",
                "address": f"Rue de l'École {i}",
                "postal_code": (town := rnd.choice(TOWNS))[1],
                "locality": town[0],
                "network": "Officiel subventionné",
            }
            for i in range(1, n_est + 1)
        ],
    )
    site_rows = []
    for i in range(1, sites + 1):
        town = rnd.choice(TOWNS)
        site_rows.append(
            {
                "id": i,
                "establishment_id": i if i <= n_est else rnd.randint(1, n_est),
                "fi": 5000 + i,
                "address": f"Rue {rnd.choice(WORDS)} {rnd.randint(1, 200)}",
                "postal_code": town[1],
                "locality": town[0],
                "latitude": 50 + rnd.random(),
                "longitude": 4 + rnd.random(),
                "teaching": ", ".join(rnd.sample(TEACHING, 2)),
            }
        )
    db.session.execute(insert(Site), site_rows)
    sync_site_search(db.session)  # bulk inserts skip the ORM's events
    db.session.execute(
        insert(Supplier),
        [
            {"id": s, "name": f"Fournisseur {s}", "reference_email": f"ref{s}@example.com"}
            for s in range(1, 13)
        ],
    )
    hashed = hash_password(PASSWORD)
    users = [
        {
            "email": "coordinator@example.com",
            "full_name": "Coordination",
            "role": Role.COORDINATOR.value,
            "password_hash": hashed,
        }
    ]
    users += [
        {
            "email": f"tech{k}@example.com",
            "full_name": f"Technicien {k}",
            "role": Role.SUPPLIER.value,
            "supplier_id": k % 12 + 1,
            "password_hash": hashed,
        }
        for k in range(60)
    ]
    users += [
        {
            "email": f"prof{k}@example.com",
            "full_name": f"Enseignant {k}",
            "role": Role.TEACHER.value,
            "site_id": rnd.randint(1, sites),
            "password_hash": hashed,
        }
        for k in range(2000)
    ]
    db.session.execute(insert(User), users)
    batch = []
    for i in range(1, items + 1):
        lot = f"Lot {i % 8:02d}"
        batch.append(
            row := {
                "lot": lot,
                "model": rnd.choice(["Ordinateur portable", "Écran interactif", "Tablette"]),
                "label": f"EN{i % 8:02d}-LOT{i % 8:02d}-{i:06d}",
                "serial": f"SN{rnd.randrange(10**10):010d}",
                "site_id": rnd.randint(1, sites),
                "supplier_id": rnd.randint(1, 12),
                "warranty_end": date(2026, 1, 1) + timedelta(days=rnd.randrange(1000)),
            }
        )
        row["search_text"] = equipment_search_text(row)
        if len(batch) == 5000:
            db.session.execute(insert(Equipment), batch)
            batch = []
    if batch:
        db.session.execute(insert(Equipment), batch)
    db.session.commit()
    a_site = db.session.get(Site, sites // 2)
    return {"fe": a_site.establishment.fase, "fi": a_site.fi}


def sign_in(client) -> None:
    html = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        "/connexion",
        data={"email": "coordinator@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.status_code


def measure(client, path: str, runs: int, headers=None) -> tuple[float, float, int]:
    client.get(path, headers=headers)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(response.data)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", help="a PostgreSQL URL to create the bench database beside")
    ap.add_argument("--sites", type=int, default=5000)
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args(argv)

    with bench_app(args.postgres) as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            started = time.perf_counter()
            school = fill(args.sites, args.items)
            print(
                f"database: {make_url(url).get_backend_name()}, {args.sites} sites, "
                f"{args.items} equipment items, filled in {time.perf_counter() - started:.1f} s"
            )
            db.session.remove()

        client = app.test_client()
        sign_in(client)
        htmx = {"HX-Request": "true"}
        pages = [
            ("schools, no search", "/annuaire/ecoles", None),
            ("schools, word (htmx)", "/annuaire/ecoles?q=joseph", htmx),
            ("schools, two words", "/annuaire/ecoles?q=ecole+libre+namur", None),
            ("schools, accented word (htmx)", "/annuaire/ecoles?q=%C3%A9tangs", htmx),
            ("schools, FE number", f"/annuaire/ecoles?q=FE+{school['fe']}", None),
            ("schools, postal code, page 3", "/annuaire/ecoles?q=6941&page=3", None),
            ("school page", f"/annuaire/ecoles/{school['fe']}/{school['fi']}", None),
            ("suppliers", "/annuaire/fournisseurs", None),
            ("supplier page", "/annuaire/fournisseurs/3", None),
            ("equipment, no search", "/annuaire/materiel", None),
            ("equipment, serial part (htmx)", "/annuaire/materiel?q=sn1234", htmx),
            ("equipment, label", "/annuaire/materiel?q=EN03-LOT03-012", None),
            ("equipment, lot + supplier", "/annuaire/materiel?lot=Lot+02&fournisseur=5", None),
            ("equipment, model word, page 40", "/annuaire/materiel?q=tablette&page=40", None),
        ]
        print(f"{'page':<34} {'median ms':>10} {'p95 ms':>8} {'bytes':>8}   ({args.runs} runs)")
        for label, path, headers in pages:
            median, p95, size = measure(client, path, args.runs, headers)
            print(f"{label:<34} {median:>10.1f} {p95:>8.1f} {size:>8}")


if __name__ == "__main__":
    main()
