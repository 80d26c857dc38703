"""Shared fixtures.

The database is chosen by RELAIS_TEST_DATABASE: unset means SQLite; a PostgreSQL URL (to a
database the tests may connect to, usually `postgres`) means the tests create their own fresh
database beside it, build it with the migrations and drop it at the end. RELAIS_TEST_REDIS_URL
makes the app use a real Redis (rate limits, job queue) under a key prefix of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.support import factories

PG_ADMIN_URL = os.environ.get("RELAIS_TEST_DATABASE", "")
REDIS_URL = os.environ.get("RELAIS_TEST_REDIS_URL") or None
USING_PG = PG_ADMIN_URL.startswith("postgresql")
RUN_ID = uuid.uuid4().hex[:8]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _properties(terminalreporter, wanted: str) -> list:
    return [
        value
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if report.when == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == wanted
    ]


def pytest_terminal_summary(terminalreporter):
    """The delivery figures of the fault tests (tests/test_delivery_faults.py) and the fuzz
    figures (tests/test_fuzz.py), under xdist too: workers' prints never reach this terminal,
    their reports' user properties do."""
    lines = _properties(terminalreporter, "delivery")
    if lines:
        terminalreporter.section("delivery under faults (sent / duplicated / lost)")
        for line in sorted(lines):
            terminalreporter.write_line(line)
    runs = [json.loads(value) for value in _properties(terminalreporter, "fuzz")]
    if runs:
        from tests.support.fuzzing import summary_line

        terminalreporter.section("fuzz (requests sent, answers by status)")
        total: Counter = Counter()
        for run in sorted(runs, key=lambda r: r["group"]):
            statuses = Counter({int(code): n for code, n in run["statuses"].items()})
            total.update(statuses)
            took = (run["seconds"], run["cpu"])
            line = summary_line(f"fuzz {run['group']}", statuses, took)
            terminalreporter.write_line(line)
        terminalreporter.write_line(summary_line("fuzz", total))


def pytest_report_header(config):
    where = "PostgreSQL" if USING_PG else "SQLite"
    return f"relais: database {where}, redis {'real' if REDIS_URL else 'in-process (fakeredis)'}"


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests run in the PostgreSQL pass; in the SQLite pass they are deselected
    # (counted in pytest's summary), never skipped as if they had passed.
    if USING_PG:
        return
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _base_config(database_url: str, tmp: Path) -> dict:
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
        # High limits for tests that are not about them; tests/test_rate_limit.py sets real ones.
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
        # Each change's mails leave at once; tests of the digest window set their own.
        "RELAIS_DIGEST_SECONDS": 0,
        # Cheap hashing in tests only.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    }


def _migrate(database_url: str, tmp: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_base_config(database_url, tmp))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A database built by the migrations, once per test session; yields how to get a clean one."""
    tmp = tmp_path_factory.mktemp("db")
    if USING_PG:
        admin = make_url(PG_ADMIN_URL)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        name = f"relais_test_{RUN_ID}_{worker}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.set(database=name).render_as_string(hide_password=False)
        _migrate(url, tmp)
        yield {"kind": "postgresql", "url": url}
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        template = tmp / "template.sqlite3"
        _migrate(f"sqlite:///{template}", tmp)
        yield {"kind": "sqlite", "template": template}


def _clean_database(database, tmp: Path) -> str:
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


def _clear_rate_limits() -> None:
    if not REDIS_URL:
        return  # the in-memory storage is created anew with each app
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*relais-test-{RUN_ID}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app on the clean test database, with config overrides."""
    url = _clean_database(database, tmp_path)
    _clear_rate_limits()
    apps = []

    def _make(**overrides):
        config = _base_config(url, tmp_path)
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield _make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


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


@pytest.fixture
def run_jobs():
    def _run(app=None):
        from flask import current_app

        return drain_queue(app or current_app._get_current_object())

    return _run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """Sign a user in through the real form; returns the response."""

    def _login(user_or_email, password=factories.PASSWORD, follow=False):
        email = getattr(user_or_email, "email", user_or_email)
        client.get("/connexion")
        return client.post(
            "/connexion",
            data={"email": email, "password": password, "csrf_token": csrf_token(client)},
            follow_redirects=follow,
        )

    return _login


def csrf_token(client, path: str = "/confidentialite") -> str:
    """The CSRF token a page of the client's session carries, read as a browser would."""
    return extract_csrf(client.get(path).get_data(as_text=True))


def extract_csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


# ---------------------------------------------------------------- real services on loopback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPRecorder:
    """An aiosmtpd handler that keeps every accepted message."""

    def __init__(self):
        self.messages = []
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
        )
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a loopback port of its own."""
    from aiosmtpd.controller import Controller

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.host, recorder.port = controller.hostname, controller.port
    yield recorder
    controller.stop()


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a loopback port, in a thread (for Chromium)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the test command installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="fr-BE", timezone_id="Europe/Brussels", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
