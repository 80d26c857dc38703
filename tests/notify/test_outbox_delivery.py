"""The send job against real things: an SMTP server on loopback (or a closed port, or one that
never answers), the test database, and (with RELAIS_TEST_REDIS_URL) Redis and real RQ workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.jobs import claim, send_outbox_message
from app.notify.outbox import dispatch, retry_intervals
from tests.support.environment import REDIS_URL, drain_queue
from tests.support.services import SMTPRecorder, free_port

ROOT = Path(__file__).resolve().parents[2]
# The production command line (docs/operations.md), in burst mode: it stops once the queue is empty.
RQ_WORKER = [str(ROOT / ".venv/bin/rq"), "worker", "-w", "app.jobs.Worker", "--burst"]


def _outbox(recipient="prof@ecole.example.com", subject="Demande TECH-1 : test", **values):
    message = OutboxMessage(
        kind="test",
        recipient=recipient,
        subject=subject,
        body_text="Bonjour,\n\nCeci est un test.",
        body_html="<p>Bonjour</p>",
        **values,
    )
    db.session.add(message)
    db.session.commit()
    return message


def _row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _smtp_on(port: int):
    """A real SMTP server brought up on `port` (a server coming back, say)."""
    from aiosmtpd.controller import Controller

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return recorder, controller


def _needs_redis():
    if not REDIS_URL:
        pytest.fail("this test needs RELAIS_TEST_REDIS_URL (the PostgreSQL pass sets both)")


# ------------------------------------------------------------------------------ the claim


def test_claim_is_exclusive(app):
    message = _outbox()
    now = utcnow()
    assert claim(message.id, now) == [message.id]
    assert claim(message.id, now) == "already claimed"
    row = _row(message.id)
    assert (row.status, row.attempts, row.claimed_at) == (OutboxStatus.SENDING, 1, now)


def test_concurrent_jobs_send_a_message_once(make_app, smtp_server):
    # Eight threads, each in an app context (and a database connection) of its own, run the
    # job of the same row at the same moment: one sends, the others find it claimed.
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        message_id = _outbox().id
    results, start = [], threading.Barrier(8)

    def run():
        with app.app_context():
            start.wait()
            results.append(send_outbox_message(message_id))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["already claimed"] * 7 + ["sent"]
    assert [m["message"]["X-Relais-Message"] for m in smtp_server.messages] == [str(message_id)]


def test_a_row_not_yet_due_is_left_for_later(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    now = utcnow()
    with app.app_context():
        message = _outbox(send_after=now + timedelta(seconds=60))
        assert send_outbox_message(message.id, now=now) == "not due"
        row = _row(message.id)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
        assert smtp_server.messages == []
        assert send_outbox_message(message.id, now=now + timedelta(seconds=60)) == "sent"
        assert _row(message.id).status == OutboxStatus.SENT
    assert len(smtp_server.messages) == 1


# ------------------------------------------------------------------------------ failures


def test_server_down_then_back(make_app):
    port = free_port()  # nothing listens there yet
    app = make_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2, RELAIS_SEND_RETRY_INTERVALS="7,11"
    )
    now = utcnow()
    with app.app_context():
        message = _outbox()
        with pytest.raises(ConnectionRefusedError):
            send_outbox_message(message.id, now=now)
        row = _row(message.id)
        assert row.status == OutboxStatus.PENDING
        assert row.attempts == 1
        assert row.send_after == now + timedelta(seconds=7)
        assert "ConnectionRefused" in row.last_error
        assert row.failed_at is None
        # RQ's retry (or the sweep) comes back: too early, nothing happens.
        assert send_outbox_message(message.id, now=now + timedelta(seconds=6)) == "not due"

        with pytest.raises(ConnectionRefusedError):
            send_outbox_message(message.id, now=now + timedelta(seconds=7))
        row = _row(message.id)
        assert row.attempts == 2
        assert row.send_after == now + timedelta(seconds=18)  # the second interval

        recorder, controller = _smtp_on(port)
        try:
            later = now + timedelta(seconds=18)
            assert send_outbox_message(message.id, now=later) == "sent"
        finally:
            controller.stop()
        row = _row(message.id)
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, None)
        assert row.sent_at == later
    assert [m["message"]["X-Relais-Message"] for m in recorder.messages] == [str(message.id)]


def test_a_server_that_never_answers_times_out(make_app):
    # A TCP server that accepts connections (the kernel's backlog) and never says a word.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=1)
        with app.app_context():
            message = _outbox()
            started = time.monotonic()
            # A socket timeout, or the disconnection smtplib makes of it: "… timed out".
            with pytest.raises(OSError, match="timed out"):
                send_outbox_message(message.id)
            assert time.monotonic() - started < 5
            row = _row(message.id)
            assert row.status == OutboxStatus.PENDING
            assert row.attempts == 1
            assert row.send_after is not None
            assert "timed out" in row.last_error
    finally:
        silent.close()


def test_refused_address_fails_for_good_and_is_not_retried(make_app, smtp_server):
    smtp_server.refuse.add("nobody@ecole.example.com")
    app = make_app(
        MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, RELAIS_SEND_RETRY_INTERVALS="1"
    )
    with app.app_context():
        message = _outbox("nobody@ecole.example.com")
        dispatch([message])
        drain_queue(app)
        row = _row(message.id)
        assert row.status == OutboxStatus.FAILED
        assert row.failed_at is not None
        assert row.attempts == 1
        assert "550" in row.last_error
        from rq.registry import ScheduledJobRegistry

        from app.jobs import get_queue

        queue = get_queue()
        assert ScheduledJobRegistry(queue=queue).count == 0  # no retry scheduled
        assert send_outbox_message(message.id) == "already claimed"
    assert smtp_server.messages == []


def test_a_message_that_cannot_be_built_fails_for_good(app):
    # A header with a line break (an injection attempt, or a bug): refused before any server.
    # (A subject is made one line where mail is built: tests/core/test_input_hygiene.py.)
    from app.devmail import mailbox

    message = _outbox(reply_to="ecole@example.com\nBcc: tous@ecole.example.com")
    assert send_outbox_message(message.id) == "failed"
    row = _row(message.id)
    assert row.status == OutboxStatus.FAILED
    assert "construire" in row.last_error
    assert mailbox.messages() == []


def test_after_the_last_attempt_the_message_is_abandoned(make_app):
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
        MAIL_TIMEOUT=2,
        RELAIS_SEND_MAX_ATTEMPTS=3,
        RELAIS_SEND_RETRY_INTERVALS=[1],
    )
    now = utcnow()
    with app.app_context():
        message = _outbox()
        for attempt in (1, 2):
            with pytest.raises(ConnectionRefusedError):
                send_outbox_message(message.id, now=now + timedelta(seconds=attempt))
            assert _row(message.id).status == OutboxStatus.PENDING
        assert send_outbox_message(message.id, now=now + timedelta(seconds=3)) == "failed"
        row = _row(message.id)
        assert row.status == OutboxStatus.FAILED
        assert row.attempts == 3
        assert row.failed_at == now + timedelta(seconds=3)
        assert row.last_error.startswith("Abandonné après 3 essais : ConnectionRefusedError")
        assert send_outbox_message(message.id, now=now + timedelta(hours=1)) == "already claimed"


def test_retry_intervals_setting(make_app):
    for value, expected in (
        ("30,120,600", [30, 120, 600]),
        (" 5 , 10 ", [5, 10]),
        ([1, 2], [1, 2]),
        ("", [30, 120, 600, 1800, 3600]),
    ):
        with make_app(RELAIS_SEND_RETRY_INTERVALS=value).app_context():
            assert retry_intervals() == expected


# ------------------------------------------------------------------------------ real RQ


@pytest.mark.postgres
def test_rq_retries_a_transient_failure_at_the_set_interval(make_app):
    _needs_redis()
    from rq import SimpleWorker

    from app.jobs import get_queue

    port = free_port()
    app = make_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2, RELAIS_SEND_RETRY_INTERVALS="1,1"
    )
    with app.app_context():
        message = _outbox()
        dispatch([message])
        [job] = get_queue().jobs
        assert (job.retries_left, job.retry_intervals) == (2, [1, 1])
        drain_queue(app)  # the first attempt: refused connection, RQ schedules the retry
        row = _row(message.id)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)

        recorder, controller = _smtp_on(port)  # the server is back
        try:
            time.sleep(1.2)
            queue = get_queue()
            # A worker started --with-scheduler moves the due retry to the queue and runs it.
            SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)
        finally:
            controller.stop()
        row = _row(message.id)
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert [m["message"]["X-Relais-Message"] for m in recorder.messages] == [str(message.id)]


@pytest.mark.postgres
def test_a_delayed_message_waits_in_rq_until_due(make_app):
    _needs_redis()
    from rq.registry import ScheduledJobRegistry

    from app.jobs import get_queue

    app = make_app()
    now = utcnow()
    with app.app_context():
        message = _outbox(send_after=now + timedelta(seconds=90))
        dispatch([message], now=now)
        queue = get_queue()
        registry = ScheduledJobRegistry(queue=queue)
        [job_id] = registry.get_job_ids()
        assert queue.count == 0
        due = registry.get_scheduled_time(job_id)
        assert abs((due - (now + timedelta(seconds=90))).total_seconds()) < 2


@pytest.mark.postgres
def test_two_rq_workers_deliver_each_message_exactly_once(make_app, smtp_server, tmp_path):
    _needs_redis()
    from app.jobs import get_queue

    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        messages = [_outbox(f"prof{i}@ecole.example.com") for i in range(40)]
        # Every message queued twice, as a retry and the sweep might: the workers race for it.
        dispatch(messages)
        dispatch(messages)
        queue_name = app.config["RQ_QUEUE"]
        assert get_queue().count == 80
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": REDIS_URL,
            "MAIL_SERVER": smtp_server.host,
            "MAIL_PORT": str(smtp_server.port),
            "RELAIS_ENV": "test",
            "RELAIS_INSTANCE_PATH": str(tmp_path / "worker"),
            "RELAIS_BASE_URL": "http://relais.test",
            "RELAIS_DIGEST_SECONDS": "0",
        }
        outputs = [tmp_path / f"worker{i}.log" for i in range(2)]
        workers = []
        for output in outputs:
            with output.open("w") as out:
                workers.append(
                    subprocess.Popen(
                        [*RQ_WORKER, "--url", REDIS_URL, queue_name],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its work horses too can be stopped below
                    )
                )
        try:
            for worker in workers:
                worker.wait(timeout=240)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
        logs = [output.read_text() for output in outputs]
        assert [worker.returncode for worker in workers] == [0, 0], logs
        delivered = Counter(m["message"]["X-Relais-Message"] for m in smtp_server.messages)
        assert delivered == Counter({str(m.id): 1 for m in messages}), logs
        rows = db.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).where(
                OutboxMessage.id.in_([m.id for m in messages])
            )
        ).all()
        assert set(rows) == {(OutboxStatus.SENT, 1)}
        done = [log.count("Job OK") for log in logs]
        assert sum(done) == 80, logs
        print("jobs per worker:", done, file=sys.stderr)
