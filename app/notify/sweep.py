"""The outbox sweep: hands to the queue again the messages nobody is taking care of.

A message is queued right after its commit, and RQ retries it after a transient failure; the sweep
covers what those paths can lose:
- rows still pending well after they were due (Redis was down at the commit, the queue was
  emptied, a retry was lost with its worker) are queued again;
- rows left "sending" long after their claim (the worker died mid-send) go back to pending, then
  to the queue.

Running it twice, late, or from two places at once does no harm: the send job claims its row
(pending → sending) before it sends, so a message queued twice is still sent once. When Redis is
unreachable nothing is queued and the rows stay pending for the next run: never lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.jobs import job_context
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.outbox import enqueue_send

log = logging.getLogger(__name__)

GRACE_SECONDS = 60  # RELAIS_SWEEP_GRACE_SECONDS: a due row is left this long to its own job
STALE_SECONDS = 300  # RELAIS_SENDING_STALE_SECONDS: a claim older than this, its worker died
BATCH = 500  # RELAIS_SWEEP_BATCH: rows looked at per run and per kind; the next run goes on

INTERRUPTED = "Envoi interrompu (worker arrêté en cours d’envoi) : remis en file par le balayage."


def setting(name: str, default: int) -> int:
    """An integer setting of the app's config (app.config reads the environment)."""
    value = current_app.config.get(name)
    return default if value in (None, "") else int(value)


def sweep_outbox(now: datetime | None = None) -> dict:
    """Queue again the pending rows past their grace and the stale "sending" ones; counts."""
    with job_context():
        now = now or utcnow()
        grace = timedelta(seconds=setting("RELAIS_SWEEP_GRACE_SECONDS", GRACE_SECONDS))
        stale = timedelta(seconds=setting("RELAIS_SENDING_STALE_SECONDS", STALE_SECONDS))
        batch = setting("RELAIS_SWEEP_BATCH", BATCH)

        # Pending rows first: those revived next were not pending then, so none is queued twice.
        due = _pending_due(now - grace, batch)
        revived = _revive_stale(now - stale, batch)
        report = {
            "stale": len(revived),
            "due": len(due),
            "queued": 0,
            "not_queued": 0,
            "queue_unreachable": False,
        }
        todo = due + revived
        for index, message_id in enumerate(todo):
            if not enqueue_send(message_id):
                # Redis is down: every other try would wait for it too. The rows stay pending.
                report["queue_unreachable"] = True
                report["not_queued"] = len(todo) - index
                break
            report["queued"] += 1
        if report["queue_unreachable"]:
            log.warning(
                "Outbox sweep: queue unreachable, %s message(s) left pending for the next run",
                report["not_queued"],
            )
        elif todo:
            log.info(
                "Outbox sweep: %s message(s) queued again (%s interrupted mid-send)",
                report["queued"],
                report["stale"],
            )
        return report


def _revive_stale(cutoff: datetime, batch: int) -> list[int]:
    """Put back to pending the rows claimed before `cutoff` and never finished."""
    claimed = func.coalesce(OutboxMessage.claimed_at, OutboxMessage.created_at)
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.claimed_at)
        .where(OutboxMessage.status == OutboxStatus.SENDING, claimed < cutoff)
        .order_by(OutboxMessage.id)
        .limit(batch)
    ).all()
    db.session.commit()  # end the read before writing (SQLite shares one file with the workers)
    revived = []
    for message_id, claimed_at in rows:
        # Guarded by the claim seen: a worker that finishes (or a sweep elsewhere that revives
        # the row and a new claim) meanwhile wins, and this update changes nothing.
        same_claim = (
            OutboxMessage.claimed_at.is_(None)
            if claimed_at is None
            else OutboxMessage.claimed_at == claimed_at
        )
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.SENDING,
                same_claim,
            )
            # A digest claimed with it is undone: each row is queued on its own again.
            .values(status=OutboxStatus.PENDING, merged_into_id=None, last_error=INTERRUPTED)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            log.warning("Outbox message %s was left mid-send; queued again", message_id)
            revived.append(message_id)
    return revived


def _pending_due(cutoff: datetime, batch: int) -> list[int]:
    """Pending rows due before `cutoff` (coalesce(send_after, created_at) <= cutoff), by id.

    Written so that the (status, created_at) index serves it: a row is never due before it
    exists, so `created_at <= cutoff` holds for every due row.
    """
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.created_at <= cutoff,
            or_(OutboxMessage.send_after.is_(None), OutboxMessage.send_after <= cutoff),
        )
        .order_by(OutboxMessage.id)
        .limit(batch)
    ).all()
    db.session.commit()
    return list(ids)
