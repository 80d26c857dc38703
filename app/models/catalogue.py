"""The portal's categories and the request types within them, with their service-level targets."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.localized import Bilingual


class PortalCategory(Bilingual, db.Model):
    __tablename__ = "portal_category"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(10), unique=True)  # TECH, INFO, PROJ
    # French, and German when written (app.models.localized: `label` picks the reader's one).
    name: Mapped[str] = mapped_column(String(120))
    name_de: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    description_de: Mapped[str | None] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)
    # The last ticket number handed out (TECH-175): incremented under a row lock.
    last_number: Mapped[int] = mapped_column(default=0)

    request_types: Mapped[list[RequestType]] = relationship(
        back_populates="category", order_by="RequestType.name"
    )


class RequestType(Bilingual, db.Model):
    __tablename__ = "request_type"
    __table_args__ = (
        UniqueConstraint("category_id", "name"),
        CheckConstraint("take_into_account_hours > 0", name="take_into_account_positive"),
        CheckConstraint("resolve_hours > 0", name="resolve_positive"),
        CheckConstraint("auto_close_days > 0", name="auto_close_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("portal_category.id"))
    name: Mapped[str] = mapped_column(String(120))
    name_de: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    description_de: Mapped[str | None] = mapped_column(String(500))
    # Service-level targets in business hours (docs/domain.md): planned within 8, resolved in 16.
    take_into_account_hours: Mapped[int] = mapped_column(default=8)
    resolve_hours: Mapped[int] = mapped_column(default=16)
    # A finished ticket closes by itself after this many days without the school's answer.
    auto_close_days: Mapped[int] = mapped_column(default=15)
    # Count those days on school days only: a ticket finished in July waits for the teachers.
    auto_close_school_days: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Work a supplier does (Retour fournisseur), as opposed to a question the EN team answers
    # (Demande d'informations, Accompagnement de projet): only the former counts on « Suivi ».
    handled_by_supplier: Mapped[bool] = mapped_column(default=True)

    category: Mapped[PortalCategory] = relationship(back_populates="request_types")
