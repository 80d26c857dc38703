"""The school directory: establishments (FASE FE) and their sites (FASE FI).

A site is keyed by (FE, FI): one building can host several establishments (CEFA), each with its
own row. The public file has no site name, so a site is shown by its establishment's name and its
own address, as the Ecole Numérique ticket frame does.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.core.folding import fold_fields, fold_text
from app.extensions import db
from app.models.types import UTCDateTime, trigram_index, utcnow

# Numbers Relais gives to sites the FASE does not list (the German-speaking Community's schools):
# from here on, far above the FASE's own (under 100,000), so that (FE, FI) stays every site's
# key and address without passing a number of ours off as a FASE one (docs/operations.md).
LOCAL_NUMBERS_FROM = 900_000


class Establishment(db.Model):
    __tablename__ = "establishment"

    id: Mapped[int] = mapped_column(primary_key=True)
    fase: Mapped[int] = mapped_column(unique=True)  # FE
    name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(255), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    locality: Mapped[str] = mapped_column(String(120), default="")
    network: Mapped[str] = mapped_column(String(120), default="")  # Réseau
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    sites: Mapped[list[Site]] = relationship(
        back_populates="establishment", order_by="Site.fi", cascade="all, delete-orphan"
    )

    @property
    def fase_is_local(self) -> bool:
        """A number given by Relais, not by the FASE."""
        return self.fase >= LOCAL_NUMBERS_FROM

    def __repr__(self) -> str:
        return f"<Establishment FE {self.fase}>"


class Site(db.Model):
    __tablename__ = "school_site"
    __table_args__ = (
        UniqueConstraint("establishment_id", "fi"),
        Index("ix_school_site_fi", "fi"),
        Index("ix_school_site_postal_code", "postal_code"),
        CheckConstraint("school_calendar IN ('fwb', 'dg')", name="school_calendar_known"),
        # The directory's searches: LIKE '%word%' on the folded columns, served by trigram
        # indexes on PostgreSQL (plain indexes on SQLite, which serve nothing there).
        trigram_index("ix_school_site_search_name_trgm", "search_name"),
        trigram_index("ix_school_site_search_address_trgm", "search_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    fi: Mapped[int]  # FASE implantation number
    address: Mapped[str] = mapped_column(String(255), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    locality: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # The compulsory types of teaching given there, e.g. "Maternel ordinaire, Primaire ordinaire".
    teaching: Mapped[str] = mapped_column(String(500), default="")
    # The school calendar it follows (app.sla.calendar.SCHOOL_CALENDARS): "fwb", or "dg" for a
    # school of the German-speaking Community (its holidays and its 15 November).
    school_calendar: Mapped[str] = mapped_column(String(8), default="fwb", server_default="fwb")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Folded (app.core.folding) copies for the searches, on the site so that one table and its
    # indexes answer: the establishment's name and the locality (a match there ranks first), and
    # the address. Kept by `_keep_site_search` below, and by `sync_site_search` after bulk writes.
    search_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_address: Mapped[str] = mapped_column(Text, default="", server_default="")

    establishment: Mapped[Establishment] = relationship(back_populates="sites")

    @property
    def fe(self) -> int:
        return self.establishment.fase

    @property
    def name(self) -> str:
        return self.establishment.name

    @property
    def full_address(self) -> str:
        return " ".join(p for p in (self.address, self.postal_code, self.locality) if p)

    @property
    def label(self) -> str:
        """The ticket frame's line: "FI 5136 - FE 2559 - name (address postal-code LOCALITY)"."""
        return f"FI {self.fi} - FE {self.fe} - {self.name} ({self.full_address})"

    def __repr__(self) -> str:
        return f"<Site FE {self.establishment_id} FI {self.fi}>"


def site_search_columns(name: str | None, locality: str | None, address: str | None) -> dict:
    """The folded search columns of a site, from its establishment's name and its own texts."""
    return {
        "search_name": fold_fields(name, locality),
        "search_address": fold_text(address or ""),
    }


def _refresh_site(site: Site) -> None:
    name = site.establishment.name if site.establishment is not None else ""
    for column, value in site_search_columns(name, site.locality, site.address).items():
        if getattr(site, column) != value:
            setattr(site, column, value)


def _renamed(establishment: Establishment) -> bool:
    state = sa.inspect(establishment)
    return state.persistent and state.attrs.name.history.has_changes()


@sa.event.listens_for(Session, "before_flush")
def _keep_site_search(session: Session, _context, _instances) -> None:
    """Sites written through the ORM, and the sites of a renamed establishment, fold again.

    Before the flush (not in a mapper event) because a site reads its establishment's name and
    an establishment's new name changes rows of another table."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Site):
            _refresh_site(obj)
        elif isinstance(obj, Establishment) and _renamed(obj):
            for site in obj.sites:
                _refresh_site(site)


def sync_site_search(session: Session) -> int:
    """Fold again every site whose search columns are out of step (after bulk INSERTs and
    UPDATEs, which skip the ORM's events); returns how many changed. A few thousand rows."""
    rows = session.execute(
        sa.select(
            Site.id,
            Establishment.name,
            Site.locality,
            Site.address,
            Site.search_name,
            Site.search_address,
        ).join(Site.establishment)
    )
    changes = []
    for row in rows:
        folded = site_search_columns(row.name, row.locality, row.address)
        if (row.search_name, row.search_address) != (
            folded["search_name"],
            folded["search_address"],
        ):
            changes.append({"id": row.id, **folded})
    if changes:
        session.execute(sa.update(Site), changes)
    return len(changes)
