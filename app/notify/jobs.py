"""The RQ job that delivers outbox messages: `send_outbox_message(id)`.

Semantics, which the periodic sweep (app.notify.sweep) relies on:

- Claim. One UPDATE moves the row from pending to sending, with `claimed_at = now` and
  `attempts + 1`, only if it is pending and due (`send_after` empty or past). Only the job whose
  UPDATE changed the row sends it: two jobs for one row, or two workers, send it once. A row
  pending but not yet due is left alone ("not due"): its own delayed job or the sweep sends it
  later. A row in any other state is left alone too ("already claimed").
- Digest. With a digest window (RELAIS_DIGEST_SECONDS > 0), claiming a message about a ticket
  also claims, in the same transaction, the person's other due pending messages about that
  ticket (`merged_into_id` = this row, status sending; rows locked by another worker are
  skipped, never waited for). Several rows make one message (app.notify.digest); one row is sent
  as it was written.
- Success: every claimed row is sent, with `sent_at`.
- Transient failure (server down or silent past MAIL_TIMEOUT, a 4xx answer): every claimed row
  goes back to pending, `merged_into_id` emptied, `last_error` set, `send_after` = now + the
  retry interval for the claimed row's attempt count (RELAIS_SEND_RETRY_INTERVALS, the last one
  repeating), and the job raises so that RQ retries it at the same intervals (the dispatch
  gives each job `Retry(max=len(intervals), interval=intervals)`); when RQ's retries run out,
  the sweep queues the row again. A row that has used RELAIS_SEND_MAX_ATTEMPTS attempts becomes
  failed instead, "Abandonné après N essais : …", and the job returns without raising.
- Permanent failure (transport.PermanentFailure: a refused address, a 5xx answer, a message
  that cannot be built): every claimed row is failed, with `failed_at` and `last_error`; no
  retry, a warning in the log.

A worker that dies while sending leaves its rows in sending: the sweep puts rows claimed more
than RELAIS_SENDING_STALE_SECONDS ago back to pending (undoing their digest) and queues them
again with app.notify.outbox.enqueue_send, as it does for pending rows long past due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from app.extensions import db
from app.jobs import job_context
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.digest import compose
from app.notify.outbox import digest_seconds, max_attempts, retry_intervals
from app.notify.transport import PermanentFailure, deliver

log = logging.getLogger(__name__)


def _due(now: datetime):
    return or_(OutboxMessage.send_after.is_(None), OutboxMessage.send_after <= now)


def _claimed(now: datetime, *, merged_into_id: int | None) -> dict:
    """The columns of a claimed row: sending, one more attempt (the first row of a digest, or
    one merged into it)."""
    return {
        "status": OutboxStatus.SENDING,
        "claimed_at": now,
        "attempts": OutboxMessage.attempts + 1,
        "merged_into_id": merged_into_id,
    }


def claim(message_id: int, now: datetime) -> list[int] | str:
    """The ids this job now owns (this one first), or why it owns none."""
    won = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            _due(now),
        )
        .values(**_claimed(now, merged_into_id=None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        row = db.session.get(OutboxMessage, message_id)
        if row is None:
            return "missing"
        return "not due" if row.status == OutboxStatus.PENDING else "already claimed"
    ids = [message_id]
    if digest_seconds() > 0:
        ticket_id, recipient, event_id = db.session.execute(
            select(OutboxMessage.ticket_id, OutboxMessage.recipient, OutboxMessage.event_id).where(
                OutboxMessage.id == message_id
            )
        ).one()
        if ticket_id is not None and event_id is not None:
            others = db.session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.ticket_id == ticket_id,
                    OutboxMessage.recipient == recipient,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.event_id.is_not(None),
                    OutboxMessage.id != message_id,
                    _due(now),
                )
                .order_by(OutboxMessage.id)
                .with_for_update(skip_locked=True)
            ).all()
            if others:
                db.session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(others))
                    .values(**_claimed(now, merged_into_id=message_id))
                    .execution_options(synchronize_session=False)
                )
                ids += others
    db.session.commit()
    return ids


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _sent(ids: list[int], now: datetime) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status=OutboxStatus.SENT, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _failed(ids: list[int], error: str, now: datetime) -> None:
    db.session.execute(
        update(OutboxMessage)
        # Not over a row another worker sent meanwhile (the sweep revived it, thinking ours dead).
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status != OutboxStatus.SENT)
        .values(status=OutboxStatus.FAILED, failed_at=now, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt (the last interval repeats)."""
    intervals = retry_intervals()
    return intervals[min(max(attempts, 1), len(intervals)) - 1]


def _retry_later(ids: list[int], error: str, now: datetime) -> list[int]:
    """Back to pending, due at the next interval; the ids abandoned for good are returned.

    The gathered rows wait as long as the first one (ids[0], whose job RQ retries), so that the
    retry gathers them again.
    """
    db.session.rollback()  # whatever the failed attempt left in the session
    attempts = dict(
        db.session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts).where(OutboxMessage.id.in_(ids))
        ).all()
    )
    limit = max_attempts()
    send_after = now + timedelta(seconds=retry_delay(attempts.get(ids[0], 1)))
    abandoned = [i for i in ids if attempts.get(i, 0) >= limit]
    for message_id in ids:
        if message_id in abandoned:
            count = attempts[message_id]
            values = {
                "status": OutboxStatus.FAILED,
                "failed_at": now,
                "last_error": f"Abandonné après {count} essais : {error}"[:2000],
            }
        else:
            values = {"status": OutboxStatus.PENDING, "send_after": send_after, "last_error": error}
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
            .values(merged_into_id=None, **values)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return abandoned


def send_outbox_message(message_id: int, *, now: datetime | None = None) -> str:
    """Deliver one message (and those it gathers); see the module's docstring."""
    with job_context():
        clock, now = now, now or utcnow()
        ids = claim(message_id, now)
        if isinstance(ids, str):
            return ids
        try:
            rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))
            primary = next(row for row in rows if row.id == message_id)
            if len(rows) == 1:
                deliver(primary)
            else:
                deliver(compose(primary, rows))
        except PermanentFailure as exc:
            db.session.rollback()
            _failed(ids, str(exc), now)
            log.warning("Message %s refused for good: %s", message_id, exc)
            return "failed"
        except Exception as exc:
            # Transient (server down, timeout): pending again for RQ's retry or the sweep.
            abandoned = _retry_later(ids, _error_text(exc), now)
            if message_id in abandoned:
                log.warning("Message %s abandoned after its last attempt: %s", message_id, exc)
                return "failed"
            log.warning("Message %s not sent yet: %s", message_id, exc)
            raise
        _sent(ids, clock or utcnow())
        return "sent" if len(ids) == 1 else f"sent ({len(ids)} gathered)"
