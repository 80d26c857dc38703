"""Writing messages to the outbox, and handing them to the queue once the change is committed.

A message is an outbox row written in the same transaction as the change that causes it, so a
change is never saved without its notifications, nor a notification sent for a change rolled
back. Delivery happens after the commit, from a job.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template

from app.extensions import db
from app.jobs import enqueue
from app.models import OutboxMessage

SEND_JOB = "app.notify.jobs.send_outbox_message"


def queue_message(
    kind: str, recipient: str, subject: str, template: str, **context
) -> OutboxMessage:
    """Render `mail/<template>.txt` and `.html` and add the message to the current transaction."""
    message = OutboxMessage(
        kind=kind,
        recipient=recipient.strip().lower(),
        subject=subject,
        body_text=render_template(f"mail/{template}.txt", **context),
        body_html=render_template(f"mail/{template}.html", **context),
    )
    db.session.add(message)
    return message


def dispatch(messages: Iterable[OutboxMessage]) -> None:
    """After the commit: one send job per message."""
    for message in messages:
        enqueue(SEND_JOB, message.id)
