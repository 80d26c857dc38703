"""Writing messages to the outbox, and handing them to the queue once the change is committed.

A message is an outbox row written in the same transaction as the change that causes it, so a
change is never saved without its notifications, nor a notification sent for a change rolled
back. Delivery happens after the commit, from a job (app.notify.jobs).

The digest window: a message about a ticket waits RELAIS_DIGEST_SECONDS (`send_after`) so that
the changes made together on one ticket reach each person as one message. The window opens with
the first change: a later message to the same person about the same ticket, while a message of
theirs still waits, takes the same `send_after`, and the first one's job sends them all
together. Messages without a ticket (invitations, password resets) leave at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app, render_template
from rq import Retry
from sqlalchemy import func, select

from app.config import seconds_list
from app.core.locales import in_language, language_or_default
from app.extensions import db
from app.jobs import enqueue, enqueue_in
from app.models import OutboxMessage, OutboxStatus
from app.models.types import utcnow
from app.notify.threads import new_message_id

SEND_JOB = "app.notify.jobs.send_outbox_message"
DEFAULT_DIGEST_SECONDS = 60
DEFAULT_RETRY_INTERVALS = "30,120,600,1800,3600"
DEFAULT_MAX_ATTEMPTS = 8
# A message that joined a window is queued this much after the message that opened it, so that
# the opener's job (which sends them together) runs first; if it did not, it sends itself.
FOLLOWER_LAG_SECONDS = 5


def setting(name: str, default):
    """A delivery setting of the app's config (app.config reads the environment)."""
    value = current_app.config.get(name)
    return default if value is None or value == "" else value


def digest_seconds() -> int:
    return max(0, int(setting("RELAIS_DIGEST_SECONDS", DEFAULT_DIGEST_SECONDS)))


def retry_intervals() -> list[int]:
    """Seconds between a failed attempt and the next (RELAIS_SEND_RETRY_INTERVALS)."""
    intervals = seconds_list(setting("RELAIS_SEND_RETRY_INTERVALS", DEFAULT_RETRY_INTERVALS))
    return intervals or seconds_list(DEFAULT_RETRY_INTERVALS)


def max_attempts() -> int:
    return max(1, int(setting("RELAIS_SEND_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def queue_message(
    kind: str, recipient: str, subject, template: str, *, language: str = "fr", **context
) -> OutboxMessage:
    """Render `mail/<template>.txt` and `.html` and add the message to the current transaction.

    Subject and bodies are written in the recipient's `language` ("fr" or "de"): a lazy subject
    is translated here, whatever the language of the page that caused the message.
    With a `ticket` in the context the message belongs to it and waits for the digest window,
    counted from the `event`'s time when there is one (so tests can pass their own clock).
    """
    recipient = recipient.strip().lower()
    language = language_or_default(language)
    with in_language(language):
        message = OutboxMessage(
            kind=kind,
            recipient=recipient,
            subject=str(subject),
            body_text=render_template(f"mail/{template}.txt", **context),
            body_html=render_template(f"mail/{template}.html", **context),
            language=language,
            message_id=new_message_id(),
        )
    ticket = context.get("ticket")
    if ticket is not None and ticket.id is not None:
        message.ticket_id = ticket.id
        message.thread_id = _thread_of(ticket.id) or message.message_id
        window = digest_seconds()
        if window > 0:
            event = context.get("event")
            now = getattr(event, "created_at", None) or utcnow()
            opened = _open_window(ticket.id, recipient, now)
            message.send_after = opened or now + timedelta(seconds=window)
            message.digest_follower = opened is not None
    db.session.add(message)
    return message


def _thread_of(ticket_id: int) -> str | None:
    """The Message-ID of the first message about the ticket: its thread's root."""
    return db.session.scalar(
        select(OutboxMessage.message_id)
        .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.message_id.is_not(None))
        .order_by(OutboxMessage.id)
        .limit(1)
    )


def _open_window(ticket_id: int, recipient: str, now: datetime) -> datetime | None:
    """When the person's waiting message about this ticket leaves, if one waits."""
    return db.session.scalar(
        select(func.min(OutboxMessage.send_after)).where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.recipient == recipient,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.event_id.is_not(None),
            OutboxMessage.send_after > now,
        )
    )


def retry_policy() -> Retry:
    intervals = retry_intervals()
    return Retry(max=len(intervals), interval=intervals)


def enqueue_send(message_id: int, *, delay: float = 0) -> bool:
    """Queue the send job of one message, with the retry policy; False when Redis is down."""
    if delay > 0:
        return enqueue_in(delay, SEND_JOB, message_id, retry=retry_policy())
    return enqueue(SEND_JOB, message_id, retry=retry_policy())


def dispatch(messages: Iterable[OutboxMessage], *, now: datetime | None = None) -> None:
    """After the commit: one send job per message, due when its `send_after` comes."""
    now = now or utcnow()
    for message in messages:
        delay = 0.0
        if message.send_after is not None:
            delay = (message.send_after - now).total_seconds()
            if getattr(message, "digest_follower", False):
                delay += FOLLOWER_LAG_SECONDS
        enqueue_send(message.id, delay=delay)
