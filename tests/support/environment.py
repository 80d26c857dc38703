"""The test environment: which database and Redis, the apps' configuration, a clean database.

The database is chosen by RELAIS_TEST_DATABASE: unset means SQLite; a PostgreSQL URL (to a
database the tests may connect to, usually `postgres`) means the tests create their own fresh
database beside it, build it with the migrations and drop it at the end. RELAIS_TEST_REDIS_URL
makes the app use a real Redis (rate limits, job queue) under a key prefix of its own.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from app import create_app
from app.extensions import db

PG_ADMIN_URL = os.environ.get("RELAIS_TEST_DATABASE", "")
REDIS_URL = os.environ.get("RELAIS_TEST_REDIS_URL") or None
USING_PG = PG_ADMIN_URL.startswith("postgresql")
RUN_ID = uuid.uuid4().hex[:8]


# Test databases are thrown away: no commit needs to wait for the disk. Locking, isolation and
# constraints are unchanged; only what an operating-system crash would keep is.
@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__ == "sqlite3":
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@event.listens_for(Engine, "do_connect")
def _postgresql_without_fsync(dialect, _record, _cargs, cparams) -> None:
    if dialect.name == "postgresql":
        options = cparams.get("options", "")
        cparams["options"] = f"{options} -c synchronous_commit=off".strip()


def base_config(database_url: str, tmp: Path) -> dict:
    return {
        "TESTING": True,
        "RELAIS_ENV": "test",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-123",
        "INSTANCE_PATH": str(tmp / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": f"relais-test-{RUN_ID}-{uuid.uuid4().hex[:6]}",
        "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
        # Flask-Limiter keeps the first prefix it is given for the whole process: one prefix per
        # test session, and make_app wipes its counters before each test.
        "RATELIMIT_KEY_PREFIX": f"relais-test-{RUN_ID}",
        # High limits for tests that are not about them; tests/auth/test_rate_limit.py sets real
        # ones.
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "SIGNUP_RATE_LIMIT": "1000 per minute",
        "PASSWORD_RESET_RATE_LIMIT": "1000 per minute",
        "PASSWORD_RESET_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "PASSWORD_METER_RATE_LIMIT": "1000 per minute",
        "PASSWORD_CHANGE_RATE_LIMIT": "1000 per minute",
        "MAIL_SERVER": None,
        "DEV_MAILBOX_DIR": str(tmp / "mailbox"),
        "RELAIS_BASE_URL": "http://relais.test",
        # The tests compare French words with ordinary spaces; the typography tests
        # (tests/core/test_typography.py) turn the unbreakable ones on.
        "RELAIS_FRENCH_TYPOGRAPHY": False,
        # Each change's mails leave at once; tests of the digest window set their own.
        "RELAIS_DIGEST_SECONDS": 0,
        # Cheap hashing in tests only.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    }


def migrate(database_url: str, tmp: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(database_url, tmp))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def clean_database(database: dict, tmp: Path) -> str:
    """The URL of a database as the migrations left it (see the `database` fixture)."""
    if database["kind"] == "sqlite":
        # A copy of the migrated file per test: complete isolation, no clean-up to forget.
        path = tmp / "relais.sqlite3"
        shutil.copy(database["template"], path)
        return f"sqlite:///{path}"
    engine = create_engine(database["url"])
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return database["url"]


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, as in production.

    The test keeps an app context open for its factories; without this, requests would share its
    `g` (and Flask-WTF's cached CSRF token) and its database session. Commit before a request;
    objects loaded by the test are reloaded after its next commit or `db.session.expire_all()`.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def clear_rate_limits() -> None:
    if not REDIS_URL:
        return  # the in-memory storage is created anew with each app
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*relais-test-{RUN_ID}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def drain_queue(app) -> int:
    """Run what the queue holds, as a worker would (a real RQ worker, in burst mode).

    Without REDIS_URL the jobs already ran in-process when they were queued.
    """
    from rq import SimpleWorker

    from app.jobs import get_queue

    with app.app_context():
        if not app.config["REDIS_URL"]:
            return 0
        queue = get_queue()
        count = queue.count
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        return count
