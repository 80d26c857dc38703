"""RQ jobs that deliver outbox messages."""

from __future__ import annotations

import logging

from sqlalchemy import update

from app.extensions import db
from app.jobs import job_context
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.transport import PermanentFailure, deliver

log = logging.getLogger(__name__)


def _claim(message_id: int) -> bool:
    """Move the row from pending to sending; only one worker can win this."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def send_outbox_message(message_id: int) -> str:
    with job_context():
        if not _claim(message_id):
            return "already claimed"
        message = db.session.get(OutboxMessage, message_id)
        try:
            deliver(message)
        except PermanentFailure as exc:
            message.status = OutboxStatus.FAILED
            message.last_error = str(exc)[:2000]
            db.session.commit()
            log.warning("Message %s refused for good: %s", message_id, exc)
            return "failed"
        except Exception as exc:
            # Transient (server down, timeout): back to pending for the next try or sweep.
            message.status = OutboxStatus.PENDING
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
            log.warning("Message %s not sent yet: %s", message_id, exc)
            raise
        message.status = OutboxStatus.SENT
        message.sent_at = utcnow()
        message.last_error = None
        db.session.commit()
        return "sent"
