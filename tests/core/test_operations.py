"""Production, observable: the health check, Prometheus' figures, JSON logs with a request id that
follows the work into the jobs, and the backup that restores into a fresh database."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

from app.core import logs
from app.extensions import db
from app.jobs import enqueue, enqueue_after_response
from app.models import OutboxMessage
from app.models.types import utcnow
from tests.support.environment import PG_ADMIN_URL, drain_queue
from tests.support.services import ROOT, rq_worker
from tests.support.tickets import build_world

TOKEN = "s3cret-metrics-token"
job_log = logging.getLogger("relais.test.job")


def _pending_message(minutes_ago: int = 0) -> OutboxMessage:
    from datetime import timedelta

    message = OutboxMessage(
        kind="test",
        recipient="prof@ecole.example.com",
        subject="Bonjour",
        body_text="Bonjour.",
        created_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    db.session.add(message)
    db.session.commit()
    return message


# ------------------------------------------------------------------ health


def test_health_reports_the_database_redis_and_the_oldest_waiting_message(make_app):
    app = make_app(MAIL_SUPPRESS_SEND=True)
    with app.app_context():
        client = app.test_client()
        report = client.get("/sante").get_json()
        assert report["status"] == "ok"
        assert report["database"] == "ok"
        assert report["redis"] == ("ok" if app.config["REDIS_URL"] else "absent")
        assert report["outbox_oldest_pending_seconds"] is None

        _pending_message(minutes_ago=30)
        response = client.get("/sante")
        assert response.status_code == 200
        assert 1790 < response.get_json()["outbox_oldest_pending_seconds"] < 1900
        assert response.headers["Cache-Control"] == "no-store"


def test_health_is_503_without_the_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/folder/relais.sqlite3")
    response = app.test_client().get("/sante")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down"
    assert response.get_json()["database"] == "error"


def test_health_without_redis_is_degraded_but_200_the_app_keeps_working(make_app):
    from tests.support.services import free_port

    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/sante")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["redis"] == "error"
    assert response.get_json()["database"] == "ok"


# ------------------------------------------------------------------ metrics


def test_metrics_are_no_page_at_all_without_a_token(make_app):
    app = make_app()
    assert app.test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"]
)
def test_metrics_refuse_who_lacks_the_token(make_app, authorization):
    app = make_app(RELAIS_METRICS_TOKEN=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"relais_" not in response.data


def test_metrics_give_latency_by_route_queue_and_outbox_figures(make_app):
    app = make_app(RELAIS_METRICS_TOKEN=TOKEN)
    with app.app_context():
        _pending_message(minutes_ago=5)
        client = app.test_client()
        assert client.get("/connexion").status_code == 200
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    figures = response.get_data(as_text=True)
    # By route name, never by raw path.
    assert 'relais_request_duration_seconds_count{endpoint="auth.login",method="GET"}' in figures
    assert 'relais_outbox_messages{state="pending"} 1.0' in figures
    assert 'relais_outbox_messages{state="failed"} 0.0' in figures
    queue = app.config["RQ_QUEUE"]
    assert f'relais_queue_jobs{{queue="{queue}"}} 0.0' in figures
    assert f'relais_queue_failed_jobs{{queue="{queue}"}} 0.0' in figures
    assert "relais_redis_up 1.0" in figures
    age = next(
        line for line in figures.splitlines() if line.startswith("relais_outbox_oldest_pending")
    )
    assert 290 < float(age.split()[-1]) < 400


# ------------------------------------------------------------------ logs and request ids


def log_from_a_job(word: str) -> None:
    """A job that says something (queued by the route the tests below add)."""
    job_log.info("job says %s", word)


@pytest.fixture
def json_lines():
    """Every log line, formatted as production formats it (RELAIS_LOG_FORMAT=json)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def _app_with_a_route_that_queues(make_app):
    app = make_app()

    @app.route("/test/queue-a-job")
    def queue_a_job():
        job_log.info("view queues a job")
        enqueue("tests.core.test_operations.log_from_a_job", "bonjour")
        return "ok"

    return app


def test_each_request_has_an_id_given_back_and_on_its_log_lines(make_app, json_lines):
    app = _app_with_a_route_that_queues(make_app)
    client = app.test_client()
    sent = client.get("/test/queue-a-job", headers={"X-Request-Id": "proxy-abc.123"})
    made = client.get("/test/queue-a-job", headers={"X-Request-Id": 'bad id {"forged": 1}'})
    assert sent.headers["X-Request-Id"] == "proxy-abc.123"
    made_id = made.headers["X-Request-Id"]
    assert len(made_id) == 32  # the proxy's was refused: one of ours instead
    views = [line for line in json_lines() if line["message"] == "view queues a job"]
    assert [line["request_id"] for line in views] == ["proxy-abc.123", made_id]
    assert {"time", "level", "logger"} <= views[0].keys()
    assert views[0]["level"] == "INFO"


def test_a_job_logs_with_the_id_of_the_request_that_queued_it(make_app, json_lines, tmp_path):
    app = _app_with_a_route_that_queues(make_app)
    rid = f"req-{uuid.uuid4().hex}"
    response = app.test_client().get("/test/queue-a-job", headers={"X-Request-Id": rid})
    assert response.status_code == 200
    if not app.config["REDIS_URL"]:
        # In-process, the job ran inside the request.
        lines = [line for line in json_lines() if line["message"] == "job says bonjour"]
        assert [line["request_id"] for line in lines] == [rid]
        return
    # A real worker, configured as in production, in a process of its own.
    worker = rq_worker(app, tmp_path / "worker.log", "--burst", RELAIS_LOG_FORMAT="json")
    try:
        worker.proc.wait(timeout=60)
    finally:
        worker.stop()
    job_lines = []
    for line in worker.output().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record["message"] == "job says bonjour":
                job_lines.append(record)
    assert [line["request_id"] for line in job_lines] == [rid], worker.output()


def test_work_done_after_the_answer_logs_with_the_requests_id(make_app, json_lines):
    app = make_app()

    @app.route("/test/after-the-answer")
    def after_the_answer():
        enqueue_after_response("tests.core.test_operations.log_from_a_job", "après")
        return "ok"

    rid = f"req-{uuid.uuid4().hex}"
    response = app.test_client().get("/test/after-the-answer", headers={"X-Request-Id": rid})
    assert response.status_code == 200
    response.close()  # the server's last step: the close callbacks run now, in this process
    drain_queue(app)  # with Redis, a worker runs it instead
    lines = [line for line in json_lines() if line["message"] == "job says après"]
    assert [line["request_id"] for line in lines] == [rid]


# ------------------------------------------------------------------ backup and restore


@pytest.mark.postgres
def test_a_backup_restores_into_a_fresh_database_with_its_tickets_and_files(make_app, tmp_path):
    attachments = tmp_path / "attachments"
    app = make_app(ATTACHMENTS_DIR=str(attachments))
    with app.app_context():
        world = build_world()
        tickets = [world.new_ticket() for _ in range(3)]
        db.session.commit()
        references = sorted(t.reference for t in tickets)
    (attachments / "2026" / "12").mkdir(parents=True)
    (attachments / "2026" / "12" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")

    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RELAIS_ATTACHMENTS_DIR": str(attachments),
    }
    backups = tmp_path / "backups"
    done = subprocess.run(
        [str(ROOT / "deploy" / "backup.sh"), str(backups)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    dump = done.stdout.strip().splitlines()[-1]
    archive = dump.removesuffix(".dump") + "-attachments.tar.gz"
    assert os.path.getsize(dump) > 0
    assert oct(os.stat(dump).st_mode & 0o777) == "0o600"  # personal data

    admin = create_engine(make_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    fresh = f"relais_restore_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    fresh_url = make_url(PG_ADMIN_URL).set(database=fresh)
    restored_files = tmp_path / "restored"
    try:
        subprocess.run(
            [str(ROOT / "deploy" / "restore.sh"), dump, archive],
            env={
                **env,
                "DATABASE_URL": fresh_url.render_as_string(hide_password=False),
                "RELAIS_ATTACHMENTS_DIR": str(restored_files),
            },
            capture_output=True,
            text=True,
            check=True,
        )
        engine = create_engine(fresh_url)
        with engine.connect() as conn:
            found = sorted(conn.scalars(text("SELECT reference FROM ticket")))
            revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
        engine.dispose()
        assert found == references
        assert revision  # `flask db upgrade` knows where the restored database stands
        assert (restored_files / "2026" / "12" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        admin.dispose()


def test_restore_refuses_to_go_on_after_an_error(tmp_path):
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"not a dump")
    done = subprocess.run(
        [str(ROOT / "deploy" / "restore.sh"), str(broken)],
        env={**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "restored" not in done.stdout
