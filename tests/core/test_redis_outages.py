"""Redis outages, against a redis-server of the test's own that it stops and starts again.

- Sign-in while Redis is down: the rate limits fall back to each process's memory (still limiting),
  the switch is logged once, and the counting goes back to Redis when it returns.
- The periodic jobs' scheduler (`flask jobs cron`, as production runs it) outlives an outage: when
  Redis answers again it enqueues the periodic jobs again, with nobody restarting it.
"""

from __future__ import annotations

import logging
import signal
from datetime import timedelta

from rq import Queue

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, Role
from app.models.types import utcnow
from app.scheduling.registry import PERIODIC_JOBS
from tests.support import factories
from tests.support.environment import drain_queue
from tests.support.services import BIN, OwnRedis, Spawned, service_env, wait_for
from tests.support.web import sign_in

FALLBACK = "falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"


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
            response = sign_in(client, user.email, factories.PASSWORD, check=False)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            assert client.get(response.headers["Location"]).status_code == 200
            assert client.get("/sante").status_code == 200

            # Still limited, in this process's memory: 3 attempts a minute from one address, the
            # sign-in above included.
            other = app.test_client()
            assert sign_in(other, "inconnu@example.com", "mauvais", check=False).status_code == 422
            assert sign_in(other, "inconnu@example.com", "mauvais", check=False).status_code == 422
            refused = sign_in(other, user.email, factories.PASSWORD, check=False)
            assert refused.status_code == 429
            assert "Trop de tentatives" in refused.get_data(as_text=True)
            assert len(_limiter_lines(caplog, FALLBACK)) == 1  # logged once, not per request

            redis.start()  # empty: what it counted before is gone
            # Flask-Limiter looks for its storage again with a backoff (1, 2, 4… s) while it is
            # dead; the first attempt it counts in Redis again gets an answer, not the 429.
            wait_for(
                lambda: (
                    sign_in(other, "inconnu@example.com", "mauvais", check=False).status_code == 422
                ),
                40,
                "the rate limits back in Redis",
                step=0.5,
            )
            assert len(_limiter_lines(caplog, RECOVERED)) == 1
            assert _sign_in_counters(redis) == [1]
            assert sign_in(other, "inconnu@example.com", "mauvais", check=False).status_code == 422
            assert sign_in(other, "inconnu@example.com", "mauvais", check=False).status_code == 422
            assert sign_in(other, "inconnu@example.com", "mauvais", check=False).status_code == 429
    finally:
        redis.stop()


def _queued(queue: Queue) -> set[str]:
    return {job.func_name for job in queue.get_jobs()}


def test_periodic_jobs_are_enqueued_again_when_redis_returns_without_a_restart(
    make_app, smtp_server, tmp_path
):
    redis = OwnRedis(tmp_path)
    redis.start()
    app = make_app(REDIS_URL=redis.url, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    wanted = {job.func for job in PERIODIC_JOBS}
    cron = None
    try:
        with app.app_context():
            queue = Queue(app.config["RQ_QUEUE"], connection=redis.client())
            # As production runs it (deploy/): the settings from the environment.
            cron = Spawned(
                [str(BIN / "flask"), "jobs", "cron", "--check-every", "1"],
                service_env(app),
                tmp_path / "cron.log",
            )
            wait_for(lambda: _queued(queue) == wanted, 30, f"every periodic job\n{cron.output()}")

            redis.stop()
            wait_for(
                lambda: "Redis unreachable" in cron.output(),
                15,
                f"the scheduler to see the outage\n{cron.output()}",
            )
            assert cron.proc.poll() is None, cron.output()
            # A mail that missed its queue during the outage: the sweep must find it.
            message = OutboxMessage(
                kind="test",
                recipient="prof@ecole.example.com",
                subject="Demande TECH-1 : intervention prévue",
                body_text="L’intervention est prévue demain.",
                created_at=utcnow() - timedelta(minutes=10),
            )
            db.session.add(message)
            db.session.commit()

            redis.start()  # empty: the jobs queued before the outage are gone
            wait_for(
                lambda: _queued(queue) == wanted,
                20,
                f"the periodic jobs enqueued again\n{cron.output()}",
            )
            assert cron.proc.poll() is None, cron.output()
            drain_queue(app)  # a worker runs them: the sweep queues the mail, which leaves
            db.session.expire_all()
            assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT
            assert cron.stop(signal.SIGTERM) == 0, cron.output()
        assert [int(m["message"]["X-Relais-Message"]) for m in smtp_server.messages] == [message.id]
        assert "Travaux périodiques arrêtés." in cron.output()
    finally:
        if cron is not None and cron.proc.poll() is None:
            cron.stop(signal.SIGKILL)
        redis.stop()


def test_the_scheduler_started_before_redis_waits_for_it_and_stops_on_sigterm(make_app, tmp_path):
    redis = OwnRedis(tmp_path)  # never started: its port refuses connections
    app = make_app(REDIS_URL=redis.url)
    cron = Spawned([str(BIN / "flask"), "jobs", "cron"], service_env(app), tmp_path / "cron.log")
    try:
        wait_for(lambda: "Redis unreachable" in cron.output(), 30, "the scheduler to wait")
        assert cron.proc.poll() is None, cron.output()
        assert cron.stop(signal.SIGTERM) == 0, cron.output()
        assert "Travaux périodiques arrêtés." in cron.output()
        assert cron.output().count("Redis unreachable") == 1  # once, not at every retry
    finally:
        if cron.proc.poll() is None:
            cron.stop(signal.SIGKILL)
