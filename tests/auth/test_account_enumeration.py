"""Whether an address has an account must not show in how long sign-in or a reset request takes.

No timed test: the work each request does is counted instead (real Argon2 calls through a
counting spy, the SQL a request sends, what is written before the answer leaves).
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, func, select

from app.auth.passwords import verify_password
from app.devmail import mailbox
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, Role
from tests.support import factories
from tests.support.accounts import RELAXED_LIMITS
from tests.support.web import csrf_token, extract_csrf

WRONG = "pas-le-bon-mot-de-passe"


@pytest.fixture
def app(make_app):
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


@pytest.fixture
def argon2_calls(monkeypatch):
    """Every PasswordHasher.hash and .verify call, counted; the hashing itself stays real."""
    calls: Counter = Counter()
    for name in ("hash", "verify"):
        real = getattr(PasswordHasher, name)

        def spy(self, *args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, spy)
    return calls


@pytest.fixture
def statements(app):
    """The SQL statements sent while `recording` is on."""
    sent: list[str] = []
    recording = {"on": False}

    def _record(conn, cursor, statement, parameters, context, executemany):
        if recording["on"]:
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", _record)
    yield sent, recording
    event.remove(db.engine, "before_cursor_execute", _record)


def test_sign_in_does_one_argon2_verification_whatever_the_address(app, argon2_calls):
    factories.user(Role.SUPPLIER, email="connu@example.com")
    factories.user(Role.SUPPLIER, email="parti@example.com", active=False)
    factories.user(Role.SUPPLIER, email="sans-mot-de-passe@example.com", password=None)
    db.session.commit()
    # The stand-in hash of unknown addresses is computed once per process and parameters.
    verify_password(None, WRONG)
    cases = [
        ("connu@example.com", WRONG),
        ("inconnu@example.com", WRONG),
        ("parti@example.com", WRONG),
        ("parti@example.com", factories.PASSWORD),
        ("sans-mot-de-passe@example.com", WRONG),
    ]
    work = {}
    for email, password in cases:
        client = app.test_client()
        token = csrf_token(client, "/connexion")
        argon2_calls.clear()
        response = client.post(
            "/connexion", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 422
        work[(email, password)] = dict(argon2_calls)
    assert all(calls == {"verify": 1} for calls in work.values()), work


def _ask(client, email):
    """The answer to a reset request, before the server has closed it (see below)."""
    token = csrf_token(client, "/mot-de-passe/oubli")
    return client.post("/mot-de-passe/oubli", data={"email": email, "csrf_token": token})


def _outbox_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_reset_request_does_the_same_work_for_a_known_and_an_unknown_address(
    app, statements, run_jobs
):
    factories.user(Role.TEACHER, email="connu@example.com")
    factories.user(Role.TEACHER, email="parti@example.com", active=False)
    db.session.commit()
    sent, recording = statements
    responses, work = {}, {}
    for email in ("connu@example.com", "inconnu@example.com", "parti@example.com"):
        client = app.test_client()
        sent.clear()
        recording["on"] = True
        responses[email] = _ask(client, email)
        recording["on"] = False
        work[email] = list(sent)
    assert work["connu@example.com"] == work["inconnu@example.com"] == work["parti@example.com"]
    assert len({(r.status_code, r.headers["Location"]) for r in responses.values()}) == 1
    # Before the answers have left, nothing was written for any address: no outbox row, no
    # mail in the dev mailbox.
    assert _outbox_rows() == 0
    assert mailbox.messages() == []
    # A server closes an answer once its last byte is sent: the work happens then (in the
    # embedded mode; with Redis, in a worker).
    for response in responses.values():
        response.close()
    run_jobs()
    [message] = mailbox.messages()
    assert message.recipients == "connu@example.com"
    assert "mot de passe" in message.subject.lower()


def test_over_http_the_reset_mail_is_written_once_the_answer_has_left(app, live_server, run_jobs):
    """The same through a real HTTP server (as `flask run` serves the embedded mode)."""
    factories.user(Role.TEACHER, email="connu@example.com")
    db.session.commit()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    url = f"{live_server.url}/mot-de-passe/oubli"
    with browser.open(url, timeout=30) as page:
        token = extract_csrf(page.read().decode())
    form = urllib.parse.urlencode({"email": "connu@example.com", "csrf_token": token}).encode()
    with browser.open(url, data=form, timeout=30) as answer:
        assert answer.status == 200
        assert answer.url.endswith("/connexion")
        assert "Si un compte actif correspond à cette adresse" in answer.read().decode()
    run_jobs()
    deadline = time.monotonic() + 30
    while not mailbox.messages():
        assert time.monotonic() < deadline, "the reset mail never arrived"
        time.sleep(0.05)
    [message] = mailbox.messages()
    assert message.recipients == "connu@example.com"


def test_with_redis_unreachable_the_reset_request_is_kept_for_the_sweep(make_app):
    """No worker to hand the address to: it is handled in this process after the answer, and
    the mail waits in the outbox for the sweep, as every message does while Redis is down."""
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", **RELAXED_LIMITS)
    with app.app_context():
        factories.user(Role.TEACHER, email="connu@example.com")
        db.session.commit()
        response = _ask(app.test_client(), "connu@example.com")
        assert response.status_code == 302
        assert _outbox_rows() == 0
        response.close()
        [row] = db.session.scalars(select(OutboxMessage)).all()
        assert (row.recipient, row.kind, row.status) == (
            "connu@example.com",
            "password_reset",
            OutboxStatus.PENDING,
        )
