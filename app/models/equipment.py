"""Programme equipment: what the Ecole Numérique programme put in the schools, lot by lot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.folding import fold_fields
from app.extensions import db
from app.models.school import Site
from app.models.supplier import Supplier
from app.models.types import UTCDateTime, trigram_index, utcnow


def _blank_to_none(value: str | None) -> str | None:
    # Unique "when present": an empty string must be NULL, or two blanks would collide.
    value = (value or "").strip()
    return value or None


class Equipment(db.Model):
    __tablename__ = "equipment"
    __table_args__ = (
        CheckConstraint("label IS NOT NULL OR serial IS NOT NULL", name="label_or_serial"),
        # The equipment search: LIKE '%word%' on the folded column, a trigram index on PostgreSQL.
        trigram_index("ix_equipment_search_text_trgm", "search_text"),
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
    # Label, serial, lot and model folded (app.core.folding), one per line, for the search;
    # kept by the events below (bulk inserts use `equipment_search_text`).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

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


def equipment_search_text(values) -> str:
    """The folded search column of an item, from an object or a row's mapping."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return fold_fields(get("label"), get("serial"), get("lot"), get("model"))


@event.listens_for(Equipment, "before_insert")
@event.listens_for(Equipment, "before_update")
def _keep_search_text(_mapper, _connection, item: Equipment) -> None:
    folded = equipment_search_text(item)
    if item.search_text != folded:
        item.search_text = folded
