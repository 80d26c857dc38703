"""Periodic work: the runner, `flask jobs`, the outbox sweep, RQ's cron, `make run`'s ticker."""

from __future__ import annotations

import signal
import urllib.request
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, text

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.sweep import sweep_outbox
from app.scheduling import registry, runner
from app.scheduling.registry import PERIODIC_JOBS, PeriodicJob
from tests.support.services import (
    BIN,
    ROOT,
    OwnRedis,
    Spawned,
    free_port,
    rq_worker,
    service_env,
    wait_for,
)

# ---------------------------------------------------------------- the runner


CALLS: list[tuple[str, object]] = []


def job_first(now: datetime | None = None) -> dict:
    CALLS.append(("first", now))
    return {"done": 2}


def job_boom() -> None:
    CALLS.append(("boom", None))
    raise RuntimeError("base injoignable")


def job_last() -> str:
    CALLS.append(("last", None))
    return "3 rappels"


FAKE_JOBS = (
    PeriodicJob("first", f"{__name__}.job_first", 60, "Premier."),
    PeriodicJob("boom", f"{__name__}.job_boom", 60, "Échoue."),
    PeriodicJob("last", f"{__name__}.job_last", 300, "Dernier."),
)


@pytest.fixture
def fake_registry(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(runner, "PERIODIC_JOBS", FAKE_JOBS)
    return FAKE_JOBS


def test_run_due_runs_every_job_once_and_survives_a_failing_one(app, fake_registry):
    now = utcnow()
    runs = runner.run_due(now=now)
    assert [name for name, _ in CALLS] == ["first", "boom", "last"]
    assert CALLS[0][1] == now  # the clock goes to the jobs that take one
    assert [run.ok for run in runs] == [True, False, True]
    assert runs[0].result == {"done": 2}
    assert runs[1].error == "RuntimeError: base injoignable"
    assert runs[2].result == "3 rappels"


def test_run_due_can_run_only_the_named_jobs(app, fake_registry):
    runs = runner.run_due(names=["last"])
    assert [run.job.name for run in runs] == ["last"]
    assert CALLS == [("last", None)]


def test_every_registered_job_can_be_imported_and_called_without_arguments():
    import inspect

    assert [job.name for job in PERIODIC_JOBS] == [
        "sweep",
        "auto_close",
        "service_levels",
        "mailbox",
        "school_holidays",
        "dashboard",
    ]
    for job in PERIODIC_JOBS:
        func = runner.resolve(job.func)
        required = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        assert required == [], f"{job.func} needs arguments"
        assert job.every_seconds >= 60


# ---------------------------------------------------------------- flask jobs …


@pytest.fixture
def cli(app):
    runner_ = app.test_cli_runner()

    def _run(*args):
        result = runner_.invoke(args=["jobs", *args])
        db.session.expire_all()
        return result

    return _run


def test_cli_run_due_prints_one_french_line_per_job_and_fails_when_one_fails(cli, fake_registry):
    result = cli("run-due")
    lines = result.output.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("first : 2 done (")  # an unknown key is shown as it is
    assert lines[1].startswith("boom : ÉCHEC — RuntimeError: base injoignable (")
    assert lines[2].startswith("last : 3 rappels (")
    assert result.exit_code == 1


def _message(recipient: str, **values) -> OutboxMessage:
    message = OutboxMessage(
        kind="test",
        recipient=recipient,
        subject="Demande TECH-1 : intervention prévue",
        body_text="L’intervention est prévue le 3 mars 2026 à 10:00.",
        **values,
    )
    db.session.add(message)
    return message


def test_cli_run_due_with_the_real_jobs(cli, run_jobs):
    old = _message("prof@ecole.example.com", created_at=utcnow() - timedelta(minutes=10))
    db.session.commit()
    result = cli("run-due")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split(" : ")[0] for line in lines] == [job.name for job in PERIODIC_JOBS]
    assert lines[0].startswith(
        "sweep : 1 message(s) remis en file, dont 0 interrompu(s) en cours d’envoi ("
    )
    assert lines[1].startswith("auto_close : 0 clôturée(s), 0 rappel(s), 0 en échec (")
    # No calendar yet: the rules give both school calendars their next years, provisionally.
    assert lines[4].startswith("school_holidays : ")
    assert "période(s) de congé provisoire(s) ajoutée(s)" in lines[4]
    run_jobs()
    assert db.session.get(OutboxMessage, old.id).status == OutboxStatus.SENT


def test_cli_list_names_each_job_and_its_interval(cli):
    result = cli("list")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == len(PERIODIC_JOBS)
    assert lines[0].split("\t")[:3] == [
        "sweep",
        "toutes les 60 s",
        "app.notify.sweep.sweep_outbox",
    ]


# ---------------------------------------------------------------- the outbox sweep


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _arrived(smtp_server) -> list[int]:
    return sorted(int(m["message"]["X-Relais-Message"]) for m in smtp_server.messages)


def _world_of_rows(now: datetime) -> dict[str, OutboxMessage]:
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731
    rows = {
        "overdue": _message("a@ecole.example.com", created_at=ago(minutes=10)),
        "fresh": _message("b@ecole.example.com", created_at=ago(seconds=10)),
        "waiting": _message(
            "c@ecole.example.com", created_at=ago(hours=1), send_after=now + timedelta(minutes=5)
        ),
        "retry_due": _message(
            "d@ecole.example.com", created_at=ago(hours=1), send_after=ago(minutes=2)
        ),
        "stale": _message(
            "e@ecole.example.com",
            created_at=ago(hours=1),
            status=OutboxStatus.SENDING,
            claimed_at=ago(minutes=10),
            attempts=1,
        ),
        "busy": _message(
            "f@ecole.example.com",
            created_at=ago(hours=1),
            status=OutboxStatus.SENDING,
            claimed_at=ago(seconds=30),
            attempts=1,
        ),
        "sent": _message("g@ecole.example.com", created_at=ago(hours=1), status=OutboxStatus.SENT),
        "failed": _message(
            "h@ecole.example.com", created_at=ago(hours=1), status=OutboxStatus.FAILED
        ),
    }
    db.session.commit()
    return rows


def test_sweep_requeues_overdue_and_stale_rows_and_leaves_fresh_ones(
    mail_app, smtp_server, run_jobs
):
    rows = _world_of_rows(utcnow())
    report = sweep_outbox()
    assert report == {
        "stale": 1,
        "due": 2,
        "queued": 3,
        "not_queued": 0,
        "queue_unreachable": False,
    }
    run_jobs()
    db.session.expire_all()
    status = {name: db.session.get(OutboxMessage, row.id).status for name, row in rows.items()}
    assert status == {
        "overdue": "sent",
        "fresh": "pending",
        "waiting": "pending",
        "retry_due": "sent",
        "stale": "sent",
        "busy": "sending",
        "sent": "sent",
        "failed": "failed",
    }
    assert _arrived(smtp_server) == sorted(rows[n].id for n in ("overdue", "retry_due", "stale"))


def test_sweep_thresholds_come_from_the_settings(make_app, smtp_server, run_jobs):
    app = make_app(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        RELAIS_SWEEP_GRACE_SECONDS=5,
        RELAIS_SENDING_STALE_SECONDS=20,
        RELAIS_SWEEP_BATCH=2,
    )
    with app.app_context():
        rows = _world_of_rows(utcnow())
        report = sweep_outbox()
        # Due: overdue, fresh (10 s > 5 s), retry_due; stale: stale, busy (30 s > 20 s).
        # Two of each per run.
        assert (report["stale"], report["due"]) == (2, 2)
        run_jobs()
        assert sweep_outbox()["due"] == 1
        run_jobs()
        db.session.expire_all()
        assert db.session.get(OutboxMessage, rows["waiting"].id).status == "pending"
        assert len(smtp_server.messages) == 5


def test_sweep_with_redis_down_queues_nothing_and_loses_nothing(make_app, smtp_server, run_jobs):
    mail = {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0", **mail)
    with down.app_context():
        rows = _world_of_rows(utcnow())
        report = sweep_outbox()
        assert report == {
            "stale": 1,
            "due": 2,
            "queued": 0,
            "not_queued": 3,
            "queue_unreachable": True,
        }
        db.session.expire_all()
        for name in ("overdue", "retry_due", "stale"):
            assert db.session.get(OutboxMessage, rows[name].id).status == "pending"
    assert smtp_server.messages == []

    up = make_app(**mail)  # the same database, the queue back
    with up.app_context():
        report = sweep_outbox()
        assert (report["queued"], report["queue_unreachable"]) == (3, False)
        run_jobs()
    assert _arrived(smtp_server) == sorted(rows[n].id for n in ("overdue", "retry_due", "stale"))


def test_two_sweeps_at_once_still_send_each_message_once(mail_app, smtp_server, run_jobs):
    rows = _world_of_rows(utcnow())
    first, second = sweep_outbox(), sweep_outbox()
    assert first["queued"] == 3
    run_jobs()
    # With a real queue both sweeps queued every message; the claim let one job send each.
    assert _arrived(smtp_server) == sorted(rows[n].id for n in ("overdue", "retry_due", "stale"))
    assert second["queue_unreachable"] is False


def test_a_worker_finishing_while_the_sweep_revives_its_row_wins(mail_app, smtp_server):
    rows = _world_of_rows(utcnow())
    stale_id = rows["stale"].id
    url = mail_app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_engine(url)
    fired = []

    def worker_finishes_first(conn, cursor, statement, parameters, context, executemany):
        # Just before the sweep's guarded UPDATE, the "dead" worker commits its send after all.
        revive = statement.lstrip().upper().startswith("UPDATE OUTBOX_MESSAGE") and (
            "outbox_message.claimed_at =" in statement
        )
        if revive and not fired:
            fired.append(statement)
            with other.begin() as c:
                c.execute(
                    text("UPDATE outbox_message SET status = 'sent' WHERE id = :id"),
                    {"id": stale_id},
                )

    event.listen(db.engine, "before_cursor_execute", worker_finishes_first)
    try:
        report = sweep_outbox()
    finally:
        event.remove(db.engine, "before_cursor_execute", worker_finishes_first)
        other.dispose()
    assert fired, "the sweep did not try to revive the stale row"
    assert report["stale"] == 0
    db.session.expire_all()
    assert db.session.get(OutboxMessage, stale_id).status == "sent"
    assert stale_id not in [int(m["message"]["X-Relais-Message"]) for m in smtp_server.messages]


# ---------------------------------------------------------------- flask jobs cron, for real


def test_rq_cron_registers_each_job_with_its_interval_on_the_apps_queue(monkeypatch):
    from app.scheduling import rq_cron

    monkeypatch.setenv("RELAIS_QUEUE", "relais-ecole")
    seen = []
    names = rq_cron.register_all(lambda func, **options: seen.append((func, options)))
    assert names == [job.name for job in PERIODIC_JOBS]
    for (func, options), job in zip(seen, PERIODIC_JOBS, strict=True):
        assert f"{func.__module__}.{func.__name__}" == job.func
        assert options["queue_name"] == "relais-ecole"
        assert options["interval"] == job.every_seconds


def test_a_job_enqueued_by_flask_jobs_cron_runs_on_a_worker(make_app, smtp_server, tmp_path):
    from rq import Queue

    redis = OwnRedis(tmp_path)
    redis.start()
    app = make_app(REDIS_URL=redis.url, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    cron = None
    try:
        with app.app_context():
            old = _message("prof@ecole.example.com", created_at=utcnow() - timedelta(minutes=10))
            db.session.commit()
            queue = Queue(app.config["RQ_QUEUE"], connection=redis.client())
            # As production runs it (docs/operations.md): settings from the environment, no database
            # opened.
            cron = Spawned(
                [str(BIN / "flask"), "jobs", "cron"],
                service_env(app, DATABASE_URL="sqlite:////nonexistent/never-used.sqlite3"),
                tmp_path / "cron.log",
            )
            sweep_job = wait_for(
                lambda: next(
                    (j for j in queue.get_jobs() if j.func_name == "app.notify.sweep.sweep_outbox"),
                    None,
                ),
                20,
                "flask jobs cron to enqueue the sweep",
            )
            wanted = {job.func for job in PERIODIC_JOBS}
            wait_for(
                lambda: {job.func_name for job in queue.get_jobs()} == wanted,
                10,
                f"flask jobs cron to enqueue every periodic job\n{cron.output()}",
            )
            assert cron.stop(signal.SIGTERM) == 0, cron.output()

            worker = rq_worker(app, tmp_path / "worker.log", "--burst")
            assert worker.proc.wait(timeout=60) == 0, worker.output()
            assert sweep_job.get_status(refresh=True) == "finished", worker.output()
            db.session.expire_all()
            assert db.session.get(OutboxMessage, old.id).status == OutboxStatus.SENT
        assert [int(m["message"]["X-Relais-Message"]) for m in smtp_server.messages] == [old.id]
    finally:
        if cron is not None and cron.proc.poll() is None:
            cron.stop(signal.SIGKILL)
        redis.stop()


def test_flask_jobs_cron_needs_redis(make_app):
    app = make_app(REDIS_URL=None)
    result = app.test_cli_runner().invoke(args=["jobs", "cron"])
    assert result.exit_code == 2
    assert "REDIS_URL manquante : sans Redis, lancez « flask jobs tick »." in result.output


# ---------------------------------------------------------------- the embedded mode's ticker


def test_flask_jobs_tick_runs_the_due_work_until_sigterm(make_app, smtp_server, tmp_path):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, REDIS_URL=None)
    with app.app_context():
        old = _message("prof@ecole.example.com", created_at=utcnow() - timedelta(minutes=10))
        db.session.commit()
        tick = Spawned(
            [str(BIN / "flask"), "jobs", "tick", "--every", "1"],
            service_env(app),
            tmp_path / "tick.log",
        )
        try:
            wait_for(lambda: smtp_server.messages, 30, "the ticker to send the waiting message")
        finally:
            code = tick.stop(signal.SIGTERM)
        db.session.expire_all()
        assert db.session.get(OutboxMessage, old.id).status == OutboxStatus.SENT
    output = tick.output()
    assert code == 0, output
    assert "Travaux périodiques : un passage toutes les 1 s." in output
    assert "sweep : 1 message(s) remis en file" in output
    assert "Travaux périodiques arrêtés." in output


def test_make_run_serves_the_app_and_the_ticker_and_ctrl_c_stops_both(
    make_app, smtp_server, tmp_path
):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, REDIS_URL=None)
    port = free_port()
    with app.app_context():
        old = _message("prof@ecole.example.com", created_at=utcnow() - timedelta(minutes=10))
        db.session.commit()
        serve = Spawned(
            [str(ROOT / "scripts" / "serve.sh")],
            service_env(app, HOST="127.0.0.1", PORT=str(port), TICK_SECONDS="1"),
            tmp_path / "serve.log",
        )
        try:
            health = wait_for(
                lambda: _get(f"http://127.0.0.1:{port}/sante"), 30, "the app to answer"
            )
            wait_for(lambda: smtp_server.messages, 30, "the ticker beside the app to send")
            serve.signal_group(signal.SIGINT)  # what Ctrl-C does in a terminal
            serve.proc.wait(timeout=30)
            wait_for(lambda: not serve.group_alive(), 10, "both processes to stop")
        finally:
            serve.stop(signal.SIGKILL, timeout=5)
        db.session.expire_all()
        assert db.session.get(OutboxMessage, old.id).status == OutboxStatus.SENT
    assert '"status": "ok"' in health or '"status":"ok"' in health
    assert "Travaux périodiques arrêtés." in serve.output()


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.read().decode()
    except OSError:
        return None


def test_registry_intervals_are_what_the_readme_says():
    assert {job.name: job.every_seconds for job in registry.PERIODIC_JOBS} == {
        "sweep": 60,
        "auto_close": 300,
        "service_levels": 300,
        "mailbox": 60,
        "school_holidays": 86400,
        "dashboard": 3600,
    }
