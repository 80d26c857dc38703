"""Mail received by Relais: one row per message, written in the same transaction as its effect."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class InboundOutcome(StrEnum):
    COMMENT = "comment"  # a reply, now a comment on its ticket
    BOUNCE = "bounce"  # a delivery-status report: its outbox message failed
    IGNORED = "ignored"  # an auto-reply or list mail: never answered, never a comment
    TO_SORT = "to_sort"  # not placed: listed for the EN team (« À trier »)


class InboundMail(db.Model):
    __tablename__ = "inbound_mail"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('comment', 'bounce', 'ignored', 'to_sort')", name="outcome_known"
        ),
        Index("ix_inbound_mail_outcome_received", "outcome", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID, or « sha256:… » of the bytes when it has none: a second delivery of the
    # same message finds its row and changes nothing (exactly once).
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(String(10))
    # Why (app.mail_in.ingest.Reason): unknown_sender, not_allowed, auto_reply, too_large…
    reason: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    ticket = relationship("Ticket")
    # The message itself, kept while it waits to be sorted.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
