"""Service-level clocks and pauses of a ticket (the rules are in app.sla).

A clock measures one target (« pris en compte » = the visit planned, « résolu » = TERMINÉ) for
one round of the procedure. The ticket's own clocks (supplier_id empty) run from its creation
or its reopening; each supplier holding it gets clocks of its own from its assignment, so a
reassigned ticket starts fresh ones for the new supplier. Times are in business minutes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ServiceClock(db.Model):
    __tablename__ = "service_clock"
    __table_args__ = (
        CheckConstraint("kind IN ('plan', 'resolve')", name="kind_known"),
        Index("ix_service_clock_ticket_round", "ticket_id", "round"),
        # The dashboard: a supplier's clocks over a period.
        Index("ix_service_clock_supplier_kind_started", "supplier_id", "kind", "started_at"),
        # Running clocks by due time: « en retard », « bientôt en retard », warnings.
        Index("ix_service_clock_running_due", "stopped_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    round: Mapped[int] = mapped_column(default=1)
    # Empty: the ticket's own clock; set: the clock of the supplier that held it.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    kind: Mapped[str] = mapped_column(String(10))  # plan | resolve
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    target_minutes: Mapped[int]
    # Empty while the ticket is paused (waiting for the school or a part).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_minutes: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spent_minutes: Mapped[int | None]  # business minutes, paused time excluded, once stopped
    # met | breached (target reached in or out of time) | reassigned | cancelled | closed
    outcome: Mapped[str | None] = mapped_column(String(12))
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # « bientôt en retard » sent

    ticket = relationship("Ticket")
    supplier = relationship("Supplier")


class TicketPause(db.Model):
    """The clocks stop: waiting for the school's answer, or for a part."""

    __tablename__ = "ticket_pause"
    __table_args__ = (
        CheckConstraint("kind IN ('school', 'part', 'information')", name="kind_known"),
        Index("ix_ticket_pause_ticket_ended", "ticket_id", "ended_at"),
        Index("ix_ticket_pause_kind_ended", "kind", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    # school: waiting for the school (access, a person); part: waiting for a part;
    # information: a question put to the school contact (closes after 7 business days unanswered).
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket = relationship("Ticket")
    started_by = relationship("User", foreign_keys=[started_by_id])
    ended_by = relationship("User", foreign_keys=[ended_by_id])
