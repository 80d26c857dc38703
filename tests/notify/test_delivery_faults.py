"""Nothing lost: ticket mails against a real Redis, a real SMTP server and real `rq worker`s.

Each test starts its own redis-server and SMTP server on loopback ports of its own (never the
shared Redis), runs workers as production runs them (docs/operations.md: `rq worker -w
app.jobs.Worker --with-scheduler`, the app configured by the environment), breaks something,
repairs it, and checks that every message arrived. The test plays the part of `rq cron`: it
runs the outbox sweep every second. Short retry delays and sweep thresholds of its own.

Each prints `sent=… duplicated=… lost=…` (mails received, mails beyond the first for one message,
messages never received); run with `-s` or read the terminal: the line bypasses the capture.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.sweep import sweep_outbox
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support.services import MailSink, OwnRedis, Spawned, rq_worker, tally, wait_for
from tests.support.tickets import TOMORROW_10H, build_world, later

FAST = {
    "RELAIS_DIGEST_SECONDS": 0,
    "RELAIS_SEND_RETRY_INTERVALS": "1,1,1,1,1,1,1,1,1,1",
    "RELAIS_SEND_MAX_ATTEMPTS": 40,
    "RELAIS_SWEEP_GRACE_SECONDS": 1,
    "RELAIS_SENDING_STALE_SECONDS": 4,  # above a slow send on a loaded machine
    "MAIL_TIMEOUT": 5,
}
UNDONE = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# Ceilings, not delays: each wait ends as soon as its condition holds. On a loaded 2-core machine
# a worker takes many seconds to start (it imports the app), and the killed send is taken up
# again only once stale (RELAIS_SENDING_STALE_SECONDS), by a sweep, then a retry.
WORKER_START_CEILING = 90
REDELIVERY_CEILING = 120


@dataclass
class Rig:
    app: object
    redis: OwnRedis
    sink: MailSink
    tmp: Path
    capsys: object
    request: object
    workers: list[Spawned] = field(default_factory=list)

    def worker(self, name: str) -> Spawned:
        spawned = rq_worker(self.app, self.tmp / f"{name}.log")
        self.workers.append(spawned)
        return spawned

    def rows(self) -> list[OutboxMessage]:
        db.session.rollback()  # see what the workers committed
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def undone(self) -> int:
        db.session.rollback()
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(UNDONE))
        )

    def wait_until(self, predicate, timeout: float, what: str, sweep: bool = True) -> None:
        """Until `predicate()`, sweeping the outbox every second as `rq cron` would."""
        deadline = time.monotonic() + timeout
        last_sweep = 0.0
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not after {timeout} s\n{self._diagnosis()}")
            if sweep and time.monotonic() - last_sweep >= 1:
                sweep_outbox()
                last_sweep = time.monotonic()
            time.sleep(0.1)

    def wait_delivered(self, timeout: float, sweep: bool = True) -> None:
        self.wait_until(lambda: self.undone() == 0, timeout, "every message handled", sweep)
        # A mail whose sender was killed may still be on its way through the server.
        wait_for(lambda: self.sink.in_data == 0, 10, "the SMTP server to finish its messages")

    def _diagnosis(self) -> str:
        states = [(row.id, row.status, row.attempts, row.last_error) for row in self.rows()]
        logs = "\n".join(f"--- {w.log.name}\n{w.output()[-3000:]}" for w in self.workers)
        return f"messages: {states}\n{logs}"

    def report(self, label: str) -> dict:
        figures = tally(self.rows(), self.sink.ids())
        line = (
            f"[{label}] messages={figures['messages']} sent={figures['sent']} "
            f"duplicated={figures['duplicated']} lost={figures['lost']}"
        )
        with self.capsys.disabled():
            print(f"\n{line}")
        self.request.node.user_properties.append(("delivery", line))
        return figures


@pytest.fixture
def rig(make_app, tmp_path, capsys, request):
    redis = OwnRedis(tmp_path)
    redis.start()
    sink = MailSink()
    app = make_app(REDIS_URL=redis.url, MAIL_SERVER=sink.host, MAIL_PORT=sink.port, **FAST)
    rig = Rig(app, redis, sink, tmp_path, capsys, request)
    try:
        with app.app_context():
            yield rig
            db.session.rollback()
    finally:
        for worker in rig.workers:
            worker.stop(signal.SIGKILL, timeout=5)
        sink.stop()
        redis.stop()


def _plan(world, ticket, minutes=1):
    return apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        version=ticket.version,
        now=later(minutes),
    ).ticket


def test_redis_stopped_during_a_transition_then_restarted(rig):
    rig.sink.start()
    world = build_world()
    rig.worker("worker")
    ticket = world.new_ticket()
    # Redis up: the jobs alone deliver.
    rig.wait_delivered(timeout=WORKER_START_CEILING, sweep=False)
    delivered_before = len(rig.rows())
    assert delivered_before > 0

    # Redis goes away right after the transition's commit, before its jobs are queued.
    event.listen(db.session(), "after_commit", lambda session: rig.redis.stop(), once=True)
    ticket = _plan(world, ticket)
    assert not rig.redis.ping()
    world.new_ticket(summary="Projecteur muet en salle 12", serial="SN-000999")

    waiting = [row for row in rig.rows() if row.status == OutboxStatus.PENDING]
    assert len(waiting) == len(rig.rows()) - delivered_before > 0
    report = sweep_outbox(now=utcnow() + timedelta(seconds=5))  # past the grace
    assert report["queue_unreachable"] is True
    assert report["queued"] == 0
    assert report["not_queued"] == len(waiting)
    assert all(row.status == OutboxStatus.PENDING for row in rig.rows()[delivered_before:])

    rig.redis.start()  # empty: nothing of what it held survived
    rig.wait_delivered(timeout=REDELIVERY_CEILING)

    figures = rig.report("Redis arrêté pendant une transition")
    assert figures["lost"] == 0, figures["lost_ids"]
    assert figures["duplicated"] == 0


def test_smtp_refusing_connections_then_accepting(rig):
    # The SMTP port is closed: every connection is refused until the server starts.
    world = build_world()
    rig.worker("worker")
    ticket = world.new_ticket()
    _plan(world, ticket)
    total = len(rig.rows())

    def every_message_refused():
        rows = rig.rows()
        return all(row.attempts >= 1 and row.status == OutboxStatus.PENDING for row in rows)

    rig.wait_until(every_message_refused, WORKER_START_CEILING, "each message tried and refused")
    assert all("Connection refused" in (row.last_error or "") for row in rig.rows())
    assert rig.sink.ids() == []
    # The refusals go on a little: a retry of each message meets the closed port again.
    rig.wait_until(
        lambda: all(row.attempts >= 2 for row in rig.rows()),
        WORKER_START_CEILING,
        "each message retried and refused again",
    )

    rig.sink.start()
    rig.wait_delivered(timeout=REDELIVERY_CEILING)

    figures = rig.report("SMTP refusant les connexions puis acceptant")
    assert figures["messages"] == total
    assert figures["lost"] == 0, figures["lost_ids"]
    assert figures["duplicated"] == 0


def test_worker_killed_with_sigkill_in_the_middle_of_a_send(rig):
    rig.sink.start()
    rig.sink.slow_seconds = 3  # the server holds its answer to DATA: the worker waits for it
    world = build_world()
    ticket = world.new_ticket()
    _plan(world, ticket)
    total = len(rig.rows())

    first = rig.worker("worker-1")
    assert rig.sink.data_started.wait(WORKER_START_CEILING), first.output()[-3000:]
    horses = first.descendants()
    first.stop(signal.SIGKILL)  # the worker and its work horse (the sender), mid-send
    assert horses, "no work horse was running"
    killed_sends = 1
    rig.sink.slow_seconds = 0
    interrupted = [row.id for row in rig.rows() if row.status == OutboxStatus.SENDING]
    assert interrupted, "the killed send left no row in sending"

    rig.worker("worker-2")
    rig.wait_delivered(timeout=REDELIVERY_CEILING)

    figures = rig.report("worker tué (SIGKILL) pendant un envoi")
    assert figures["messages"] == total
    assert figures["lost"] == 0, figures["lost_ids"]
    assert figures["duplicated"] <= killed_sends
    revived = [row for row in rig.rows() if row.id in interrupted]
    assert all(row.status == OutboxStatus.SENT for row in revived)
