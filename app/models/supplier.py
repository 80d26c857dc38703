"""Supplier companies that maintain programme equipment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class Supplier(db.Model):
    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    # The one address that receives the company's notifications; it may or may not belong to
    # one of its users; the company's other addresses get no notification (docs/domain.md).
    reference_email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Its contract counts school holidays (FWB calendar) as days off for its service levels.
    follows_school_holidays: Mapped[bool] = mapped_column(default=False)
    # The secret of the company's calendar feed of planned visits (regenerated to revoke).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="supplier", order_by="User.full_name")

    @validates("reference_email")
    def _lower(self, _key, value: str) -> str:
        return value.strip().lower()

    def __repr__(self) -> str:
        return f"<Supplier {self.name}>"
