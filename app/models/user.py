"""People who sign in to Relais, and their role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.school import Site
from app.models.supplier import Supplier
from app.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    ASSISTANT = "assistant"
    COORDINATOR = "coordinator"
    SUPPLIER = "supplier"
    TEACHER = "teacher"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


# Role names as people read them.
ROLE_LABELS = {
    Role.ASSISTANT: _l("Assistant·e à la maintenance EN"),
    Role.COORDINATOR: _l("Suivi des fournisseurs"),
    Role.SUPPLIER: _l("Fournisseur"),
    Role.TEACHER: _l("Enseignant·e"),
    Role.ADMIN: _l("Administrateur·rice"),
}

ROLE_VALUES = tuple(r.value for r in Role)


def normalise_email(value: str) -> str:
    # Addresses are compared without regard to case: stored lowercased, once, here.
    return (value or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "role IN ({})".format(", ".join(f"'{r}'" for r in ROLE_VALUES)), name="role_known"
        ),
        CheckConstraint(
            "role != 'supplier' OR supplier_id IS NOT NULL", name="supplier_has_company"
        ),
        CheckConstraint("language IN ('fr', 'de')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(32), default="")
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("school_site.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session identifier: bumping it signs the user out everywhere (deactivation,
    # password change or reset).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which kinds of ticket event mail this person ({group: False} turns one off; see
    # app.notify.preferences). Missing groups are on.
    mail_preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    # The secret of the coordinator's calendar feed of every visit (regenerated to revoke).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The language of their pages and mails (app.core.locales.LANGUAGES).
    language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")

    supplier: Mapped[Supplier | None] = relationship(back_populates="users")
    site: Mapped[Site | None] = relationship()

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return normalise_email(value)

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_en_staff(self) -> bool:
        return self.role in (Role.ASSISTANT, Role.COORDINATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
