"""Tickets ("demandes"): one problem with one piece of equipment at one school.

The aggregate: the ticket, the people it is shared with, the supplier's interventions, the
activity (comments and one event per change) and attachments. State changes go through
app.tickets.service, never by setting `status` from a view.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.folding import fold_fields, fold_text
from app.extensions import db
from app.models.catalogue import PortalCategory, RequestType
from app.models.equipment import Equipment
from app.models.school import Site
from app.models.supplier import Supplier
from app.models.types import UTCDateTime, trigram_index, utcnow
from app.models.user import User
from app.tickets.events import EventKind, kind_of
from app.tickets.states import FINAL_STATUSES, Status

STATUS_VALUES = ", ".join(f"'{s.value}'" for s in Status)


class Ticket(db.Model):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("category_id", "number"),
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status_known"),
        CheckConstraint("number > 0", name="number_positive"),
        # The lists: a supplier's open tickets, newest first; everyone's by state.
        Index("ix_ticket_supplier_status_created", "supplier_id", "status", "created_at"),
        Index("ix_ticket_status_created", "status", "created_at"),
        # "Toutes" and "fermées" lists, newest first, per supplier and for EN staff.
        Index("ix_ticket_supplier_created", "supplier_id", "created_at"),
        Index("ix_ticket_created", "created_at"),
        # Scheduled work: finished tickets by the time they finished (automatic closure).
        Index("ix_ticket_status_changed", "status", "status_changed_at"),
        # The list's sorts (app.tickets.queries): each group of a type, state or person newest
        # first, and the summary folded (`summary_sort`).
        Index("ix_ticket_request_type_created", "request_type_id", "created_at"),
        Index("ix_ticket_creator_created", "creator_id", "created_at"),
        Index("ix_ticket_assignee_created", "assignee_id", "created_at"),
        Index("ix_ticket_summary_sort", "summary_sort"),
        Index("ix_ticket_equipment_serial", "equipment_serial"),
        Index("ix_ticket_equipment_label", "equipment_label"),
        # The search box: LIKE '%word%' on the folded columns, served by trigram indexes on
        # PostgreSQL (pg_trgm). SQLite gets plain indexes that serve nothing but keep one schema;
        # its LIKE reads the folded column, no longer a function per row.
        trigram_index("ix_ticket_search_text_trgm", "search_text"),
        trigram_index("ix_ticket_contact_search_trgm", "contact_search"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("portal_category.id"))
    number: Mapped[int]
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # "TECH-175"
    request_type_id: Mapped[int] = mapped_column(ForeignKey("request_type.id"))
    # The stored strings are the values ("open"…), in a VARCHAR checked by `status_known`.
    status: Mapped[Status] = mapped_column(
        Enum(
            Status,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda states: [s.value for s in states],
        ),
        default=Status.OPEN,
    )
    summary: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)  # the assistant's diagnosis

    site_id: Mapped[int] = mapped_column(ForeignKey("school_site.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(32), default="")  # E.164, "+3212345678"
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    # The device as the assistant identified it; equipment_id is empty for a device missing
    # from the inventory, which is allowed and shown as such.
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    equipment_label: Mapped[str] = mapped_column(String(64), default="")
    equipment_serial: Mapped[str] = mapped_column(String(64), default="")
    equipment_description: Mapped[str] = mapped_column(String(200), default="")
    # Folded (app.core.folding) copies for the search box, kept by the events below: the
    # reference, summary, label and serial, one per line; the contact's name (EN staff only).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_search: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The summary folded, the list's sort key for « Résumé » (École among the E, indexed).
    summary_sort: Mapped[str] = mapped_column(Text, default="", server_default="")

    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    # The EN team resolved it at the first contact (RESOLVE): the dashboard's 85 % share.
    resolved_first_contact: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Each reopening starts the procedure over: interventions and approval links are per round.
    round: Mapped[int] = mapped_column(default=1)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the supplier holding the ticket received it (its own service-level clocks start here).
    supplier_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[PortalCategory] = relationship()
    request_type: Mapped[RequestType] = relationship()
    site: Mapped[Site] = relationship()
    contact_user: Mapped[User | None] = relationship(foreign_keys=[contact_user_id])
    equipment: Mapped[Equipment | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    technician: Mapped[User | None] = relationship(foreign_keys=[technician_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    creator: Mapped[User] = relationship(foreign_keys=[creator_id])
    participants: Mapped[list[Participant]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan"
    )
    # The pause running now, if any (one at a time, app.sla.pauses): joined into the page's
    # statement rather than read on its own. Read only: pauses change through app.sla.pauses.
    open_pause = relationship(
        "TicketPause",
        primaryjoin="and_(TicketPause.ticket_id == Ticket.id, TicketPause.ended_at.is_(None))",
        viewonly=True,
        uselist=False,
    )
    # The clocks of the current round (the page's « Délais »), joined by the page's statement.
    current_clocks = relationship(
        "ServiceClock",
        primaryjoin="and_(foreign(ServiceClock.ticket_id) == Ticket.id, "
        "foreign(ServiceClock.round) == Ticket.round)",
        order_by="ServiceClock.id",
        viewonly=True,
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="ticket", order_by="Intervention.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", order_by="Attachment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def in_inventory(self) -> bool:
        return self.equipment_id is not None

    @property
    def current_visit(self) -> Intervention | None:
        """The visit planned in this round and neither finished nor called off."""
        for intervention in reversed(self.interventions):
            if (
                intervention.round == self.round
                and intervention.finished_at is None
                and intervention.cancelled_at is None
            ):
                return intervention
        return None

    def __repr__(self) -> str:
        return f"<Ticket {self.reference} {self.status}>"


def ticket_search_columns(values) -> dict[str, str]:
    """The folded search columns of a ticket, from an object or a row's mapping."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return {
        "search_text": fold_fields(
            get("reference"), get("summary"), get("equipment_label"), get("equipment_serial")
        ),
        "contact_search": fold_text(get("contact_name") or ""),
        "summary_sort": fold_text(get("summary") or ""),
    }


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def _keep_search_columns(_mapper, _connection, ticket: Ticket) -> None:
    for name, value in ticket_search_columns(ticket).items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)


class Participant(db.Model):
    """Someone the ticket is shared with ("Partagé avec"), with their own notification switch."""

    __tablename__ = "ticket_participant"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), primary_key=True, index=True
    )
    notify: Mapped[bool] = mapped_column(default=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])


class Intervention(db.Model):
    """One visit of the supplier: planned (and perhaps rescheduled), then finished or called off."""

    __tablename__ = "intervention"
    __table_args__ = (
        # The calendar feeds: a company's visits, and everyone's, by date.
        Index("ix_intervention_supplier_planned", "supplier_id", "planned_at"),
        Index("ix_intervention_planned", "planned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text, default="")
    # Each change of date makes a new calendar sequence number (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    on_the_spot: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="interventions")
    supplier: Mapped[Supplier] = relationship()
    created_by: Mapped[User | None] = relationship()


class TicketEvent(db.Model):
    """One line of the activity: a comment, or a change (who, when, from what to what)."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: system
    kind: Mapped[str] = mapped_column(String(30))  # created, comment, or a workflow action
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    # A comment for EN staff only (suppliers and teachers never see it).
    internal: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def event_kind(self) -> EventKind | None:
        """What every layer knows of this kind (app.tickets.events); None for an unknown one."""
        return kind_of(self.kind)


class Attachment(db.Model):
    """A file attached to a ticket; the bytes live in the storage, under a generated key."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for display only
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    thumbnail_key: Mapped[str | None] = mapped_column(String(80))
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()
