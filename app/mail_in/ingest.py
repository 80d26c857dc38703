"""One ingestion for every received message, whichever way it came (`flask mail receive`, the
IMAP poller): `ingest(raw)`.

- **Exactly once.** The message is recorded (`InboundMail`) by its Message-ID, or by a digest of
  its bytes when it has none, in the same transaction as its effect; the key is unique, so a
  second delivery, or a re-fetch after a crash, finds the row and changes nothing.
- **Bounces** (delivery-status reports, MAILER-DAEMON): the outbox message they name by its
  Message-ID fails for good, with the server's words. Never answered.
- **Automatic answers and list mail** (Auto-Submitted, X-Autoreply, Precedence, List-Id, the
  null sender, « Réponse automatique »…): recorded, ignored, never answered nor a comment.
- **Replies.** The ticket is found by the signed reply address (app.notify.threads), made for
  the sender; else by In-Reply-To / References against the outbox's Message-IDs; else by the
  « [TECH-123] » of the subject. The sender must be one of the ticket's people: an account that
  sees it, or its contact. The new text (app.mail_in.reading) becomes a public comment through
  the ticket service, with the files that pass the upload checks; its notices go out as for
  any comment.
- **Anything else** (unknown sender, a sender not allowed on the ticket, no ticket found, an
  unreadable or oversized message, an empty reply) is kept « à trier » for the EN team. Only a
  database that cannot be reached raises: the caller tells the mail server to try again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.mail_in import reading
from app.models import (
    InboundMail,
    InboundOutcome,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    User,
    normalise_email,
)
from app.models.types import utcnow
from app.notify.threads import ticket_of_reply_address
from app.tickets.attachments import AttachmentError, Upload, check_upload
from app.tickets.errors import TicketError
from app.tickets.permissions import can_view
from app.tickets.service import comment_from_mail

log = logging.getLogger(__name__)

KEEP_RAW_BYTES = 5 * 1024 * 1024  # a message to sort is kept up to this size


class Reason:
    """Why a message became what it became (InboundMail.reason)."""

    REPLY = "reply"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    LIST = "list"
    NULL_SENDER = "null_sender"
    UNKNOWN_SENDER = "unknown_sender"
    NOT_ALLOWED = "not_allowed"
    NOT_RECOGNISED = "not_recognised"
    EMPTY = "empty"
    REFUSED = "refused"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Received:
    """What became of a message; `duplicate` when it had been received before."""

    outcome: str
    reason: str
    key: str
    duplicate: bool = False
    ticket_id: int | None = None
    event_id: int | None = None


def max_bytes() -> int:
    return int(current_app.config.get("RELAIS_MAIL_IN_MAX_BYTES") or 25 * 1024 * 1024)


def ingest(raw: bytes, *, now: datetime | None = None) -> Received:
    now = now or utcnow()
    if len(raw) > max_bytes():
        facts = reading.headers_only(raw)
        detail = f"{len(raw)} octets"
        return _record(facts, raw, now, InboundOutcome.TO_SORT, Reason.TOO_LARGE, detail=detail)
    try:
        message = reading.parse(raw)
        facts = reading.read(message, raw)
    except Exception as exc:  # whatever the parser trips on, the mail is kept
        facts = reading.Facts(key=reading.digest_key(raw), sender="", sender_name="", subject="")
        return _record(
            facts, raw, now, InboundOutcome.TO_SORT, Reason.UNREADABLE, detail=repr(exc)[:1000]
        )
    seen = _seen(facts.key)
    if seen is not None:
        return seen
    if facts.bounce:
        return _bounce(message, facts, raw, now)
    if facts.machine is not None:
        return _record(facts, None, now, InboundOutcome.IGNORED, facts.machine)
    return _reply(message, facts, raw, now)


def _seen(key: str) -> Received | None:
    row = db.session.scalar(select(InboundMail).where(InboundMail.message_key == key))
    if row is None:
        return None
    return Received(
        row.outcome, row.reason, key, duplicate=True, ticket_id=row.ticket_id, event_id=row.event_id
    )


def _row(facts, raw, now, outcome, reason, **values) -> InboundMail:
    keep = raw if raw is not None and len(raw) <= KEEP_RAW_BYTES else None
    return InboundMail(
        message_key=facts.key,
        received_at=now,
        sender=facts.sender[:254],
        subject=facts.subject[:255],
        size=len(raw) if raw is not None else 0,
        outcome=outcome,
        reason=reason,
        raw=keep if outcome == InboundOutcome.TO_SORT else None,
        **values,
    )


def _recorded_meanwhile(key: str, error: IntegrityError) -> Received:
    """The same message, committed meanwhile by another delivery (the unique key): its outcome.
    Any other integrity error is raised again."""
    db.session.rollback()
    seen = _seen(key)
    if seen is None:
        raise error
    return seen


def _commit(row: InboundMail) -> Received:
    """Commit what the session holds with `row`; a row committed meanwhile by another delivery
    of the same message (the unique key) makes this one a duplicate."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        return _recorded_meanwhile(row.message_key, exc)
    return Received(
        row.outcome, row.reason, row.message_key, ticket_id=row.ticket_id, event_id=row.event_id
    )


def _record(facts, raw, now, outcome, reason, **values) -> Received:
    row = _row(facts, raw, now, outcome, reason, **values)
    db.session.add(row)
    received = _commit(row)
    if outcome == InboundOutcome.TO_SORT and not received.duplicate:
        log.info("Mail to sort (%s) from %s: %s", reason, facts.sender, facts.key)
    return received


# ------------------------------------------------------------------ bounces


def _bounce(message, facts, raw, now) -> Received:
    found = reading.report(message)
    target = None
    if found.message_ids:
        target = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.message_id.in_(found.message_ids)).limit(1)
        )
    values = {"detail": found.reason or None}
    if target is not None:
        values |= {"outbox_message_id": target.id, "ticket_id": target.ticket_id}
        if found.failed:
            reason = found.reason or facts.subject
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == target.id)
                .values(
                    status=OutboxStatus.FAILED,
                    failed_at=now,
                    last_error=f"Non distribué (avis de non-remise) : {reason}"[:2000],
                )
                .execution_options(synchronize_session=False)
            )
    # In the same transaction as the outbox row's change: a second report changes nothing.
    return _record(facts, None, now, InboundOutcome.BOUNCE, Reason.BOUNCE, **values)


# ------------------------------------------------------------------ replies


def _ticket_by_reference(facts) -> Ticket | None:
    if facts.subject_reference is None:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reference == facts.subject_reference))


def _ticket_by_thread(facts) -> Ticket | None:
    if not facts.references:
        return None
    ticket_id = db.session.scalar(
        select(OutboxMessage.ticket_id)
        .where(
            OutboxMessage.ticket_id.is_not(None),
            or_(
                OutboxMessage.message_id.in_(facts.references),
                OutboxMessage.thread_id.in_(facts.references),
            ),
        )
        .limit(1)
    )
    return db.session.get(Ticket, ticket_id) if ticket_id is not None else None


def _ticket_of(facts) -> Ticket | None:
    """The ticket the message answers: the signed address first, then the thread, then the
    subject's reference."""
    for address in facts.recipients:
        ticket_id = ticket_of_reply_address(address, facts.sender)
        if ticket_id is not None:
            ticket = db.session.get(Ticket, ticket_id)
            if ticket is not None:
                return ticket
    return _ticket_by_thread(facts) or _ticket_by_reference(facts)


def _known_user(sender: str) -> User | None:
    if not sender:
        return None
    return db.session.scalar(
        select(User).where(User.email == normalise_email(sender), User.active.is_(True))
    )


def _author(ticket: Ticket, facts) -> tuple[User | None, str] | None:
    """Who comments: an account that sees the ticket, or the ticket's contact (an account of
    theirs when they have one); None when the sender is neither."""
    user = _known_user(facts.sender)
    if user is not None and can_view(user, ticket):
        return user, user.full_name
    if (ticket.contact_email or "").strip().lower() == facts.sender:
        contact = ticket.contact_user
        if contact is not None and contact.active:
            return contact, contact.full_name
        return None, ticket.contact_name or facts.sender_name or facts.sender
    return None


def _uploads(message) -> tuple[list[Upload], list[str]]:
    """The attachments that pass the upload checks, and the refusals, one line each."""
    accepted, refused = [], []
    for name, data in reading.attachments(message):
        try:
            accepted.append(check_upload(FileStorage(stream=BytesIO(data), filename=name)))
        except AttachmentError as exc:
            refused.append(str(exc))
    return accepted, refused


def _reply(message, facts, raw, now) -> Received:
    ticket = _ticket_of(facts)
    if ticket is None:
        reason = Reason.NOT_RECOGNISED if _known_user(facts.sender) else Reason.UNKNOWN_SENDER
        return _record(facts, raw, now, InboundOutcome.TO_SORT, reason)
    author = _author(ticket, facts)
    if author is None:
        return _record(
            facts, raw, now, InboundOutcome.TO_SORT, Reason.NOT_ALLOWED, ticket_id=ticket.id
        )
    user, name = author
    text = reading.new_text(message)
    uploads, refused = _uploads(message)
    if not text and not uploads:
        return _record(facts, raw, now, InboundOutcome.TO_SORT, Reason.EMPTY, ticket_id=ticket.id)
    if not text:
        text = "(pièces jointes)"
    detail = "\n".join(refused) or None
    row = _row(
        facts, raw, now, InboundOutcome.COMMENT, Reason.REPLY, ticket_id=ticket.id, detail=detail
    )
    db.session.add(row)  # committed by the service with the comment, or rolled back with it
    try:
        event = comment_from_mail(
            user, ticket.id, text, name=name, email=facts.sender, files=uploads, now=now
        )
    except IntegrityError as exc:
        return _recorded_meanwhile(facts.key, exc)
    except TicketError as exc:
        values = {"ticket_id": ticket.id, "detail": str(exc)[:1000]}
        return _record(facts, raw, now, InboundOutcome.TO_SORT, Reason.REFUSED, **values)
    row.event_id = event.id
    db.session.commit()
    return Received(
        InboundOutcome.COMMENT, Reason.REPLY, facts.key, ticket_id=ticket.id, event_id=event.id
    )
