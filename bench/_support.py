"""What every benchmark needs: a fresh database built by the migrations, and an app on it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db


@contextmanager
def bench_app(postgres: str | None, *, keep: bool = False, **config) -> Iterator[Flask]:
    """An app on a new database: beside `postgres` (created, then dropped unless `keep`), or a
    SQLite file in a temporary folder. The schema comes from the migrations."""
    tmp = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    admin_engine = name = None
    if postgres:
        admin = make_url(postgres)
        name = f"relais_bench_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app(
        {
            "RELAIS_ENV": "test",
            "TESTING": False,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-123",
            "INSTANCE_PATH": str(tmp / "instance"),
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "RQ_QUEUE": f"relais-bench-{uuid.uuid4().hex[:8]}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": None,
            "DEV_MAILBOX_DIR": str(tmp / "mailbox"),
            "RELAIS_BASE_URL": "http://relais.example.com",
            # Cheap hashing: the bench measures pages, not sign-ins.
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8,
            "ARGON2_PARALLELISM": 1,
            **config,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if keep:
            print(f"database kept: {make_url(url).render_as_string(hide_password=True)}")
        elif admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()
