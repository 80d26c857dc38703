"""E-mails to send, written in the same transaction as the change that causes them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, trigram_index, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        Index("ix_outbox_message_status_created", "status", "created_at"),
        # The digest: a person's pending messages about one ticket.
        Index("ix_outbox_message_ticket_recipient", "ticket_id", "recipient", "status"),
        # « Envois »: part of an address (stored in lower case), LIKE '%…%' served by trigrams.
        trigram_index("ix_outbox_message_recipient_trgm", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # invitation, password_reset, plan, …
    # The ticket and the activity line it tells about ("who was notified of what, when").
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Not sent before this instant: changes made together on one ticket wait a moment so that
    # each person gets one message for all of them (the digest window).
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a worker moved the row to "sending": a row left there long after, its worker died.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A message sent as part of another one (the digest): that message's id.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    # An iCalendar invitation or cancellation to attach (text/calendar; method=…).
    calendar: Mapped[str | None] = mapped_column(Text)
    calendar_method: Mapped[str | None] = mapped_column(String(10))
    # Its Message-ID, and that of the first message about its ticket (In-Reply-To, References):
    # mail clients group a ticket's mails, and a reply is recognised by them (app.mail_in).
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    thread_id: Mapped[str | None] = mapped_column(String(255))
    # The recipient's language, the message was written in; a digest is written again in it.
    language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
