"""Programme equipment: what the Ecole Numérique programme put in the schools, lot by lot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.school import Site
from app.models.supplier import Supplier
from app.models.types import UTCDateTime, utcnow


def _blank_to_none(value: str | None) -> str | None:
    # Unique "when present": an empty string must be NULL, or two blanks would collide.
    value = (value or "").strip()
    return value or None


class Equipment(db.Model):
    __tablename__ = "equipment"
    __table_args__ = (
        CheckConstraint("label IS NOT NULL OR serial IS NOT NULL", name="label_or_serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot: Mapped[str] = mapped_column(String(40), index=True)  # "Lot 00"
    model: Mapped[str] = mapped_column(String(160))
    label: Mapped[str | None] = mapped_column(String(64), unique=True)  # asset tag ENXX-LOTXX-…
    serial: Mapped[str | None] = mapped_column(String(64), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("school_site.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    warranty_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()

    @validates("label", "serial")
    def _normalise_identifier(self, _key, value: str | None) -> str | None:
        value = _blank_to_none(value)
        return value.upper() if value else None

    @property
    def designation(self) -> str:
        """As the ticket frame writes it: "Ecole Numérique - Lot 00 - model"."""
        return f"Ecole Numérique - {self.lot} - {self.model}"

    @property
    def identifier(self) -> str:
        return " / ".join(p for p in (self.label, self.serial) if p)
