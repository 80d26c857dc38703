"""Redis outages, against a redis-server of the test's own that it stops and starts again.

- Sign-in while Redis is down: the rate limits fall back to each process's memory (still limiting),
  the switch is logged once, and the counting goes back to Redis when it returns.
"""

from __future__ import annotations

import logging

from app.extensions import db
from app.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.rq_support import OwnRedis, wait_for

FALLBACK = "falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"


def _sign_in(client, email, password):
    return client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": csrf_token(client, "/connexion")},
    )


def _limiter_lines(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "flask-limiter" and text in r.msg]


def _sign_in_counters(redis: OwnRedis) -> list[int]:
    """The per-address sign-in counters Flask-Limiter keeps in Redis."""
    client = redis.client()
    return [int(client.get(key)) for key in client.scan_iter("*/127.0.0.1/auth.login/*")]


def test_sign_in_works_and_stays_limited_while_redis_is_down_then_counts_in_redis_again(
    make_app, tmp_path, caplog
):
    redis = OwnRedis(tmp_path)
    redis.start()
    caplog.set_level(logging.INFO, logger="flask-limiter")
    try:
        app = make_app(RATELIMIT_STORAGE_URI=redis.url, LOGIN_RATE_LIMIT="3 per minute")
        with app.app_context():
            user = factories.user(Role.SUPPLIER, email="fournisseur@example.com")
            db.session.commit()
            redis.stop()
            client = app.test_client()
            response = _sign_in(client, user.email, factories.PASSWORD)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            assert client.get(response.headers["Location"]).status_code == 200
            assert client.get("/sante").status_code == 200

            # Still limited, in this process's memory: 3 attempts a minute from one address, the
            # sign-in above included.
            other = app.test_client()
            assert _sign_in(other, "inconnu@example.com", "mauvais").status_code == 422
            assert _sign_in(other, "inconnu@example.com", "mauvais").status_code == 422
            refused = _sign_in(other, user.email, factories.PASSWORD)
            assert refused.status_code == 429
            assert "Trop de tentatives" in refused.get_data(as_text=True)
            assert len(_limiter_lines(caplog, FALLBACK)) == 1  # logged once, not per request

            redis.start()  # empty: what it counted before is gone
            # Flask-Limiter looks for its storage again with a backoff (1, 2, 4… s) while it is
            # dead; the first attempt it counts in Redis again gets an answer, not the 429.
            wait_for(
                lambda: _sign_in(other, "inconnu@example.com", "mauvais").status_code == 422,
                40,
                "the rate limits back in Redis",
                step=0.5,
            )
            assert len(_limiter_lines(caplog, RECOVERED)) == 1
            assert _sign_in_counters(redis) == [1]
            assert _sign_in(other, "inconnu@example.com", "mauvais").status_code == 422
            assert _sign_in(other, "inconnu@example.com", "mauvais").status_code == 422
            assert _sign_in(other, "inconnu@example.com", "mauvais").status_code == 429
    finally:
        redis.stop()
