"""Invitations to create an account, sent by e-mail with a signed, single-use link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.school import Site
from app.models.supplier import Supplier
from app.models.types import UTCDateTime, utcnow
from app.models.user import User, normalise_email


class Invitation(db.Model):
    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("language IN ('fr', 'de')", name="language_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(120), default="")
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("school_site.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The language of the invitation mail and the sign-up page's first choice.
    language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")

    supplier: Mapped[Supplier | None] = relationship()
    site: Mapped[Site | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return normalise_email(value)

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at
