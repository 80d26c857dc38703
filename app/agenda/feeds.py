"""What a calendar feed holds: the planned visits of one company, or of every company.

Visits from RELAIS_FEED_PAST_DAYS back onward (finished ones included: a technician looks back
at last week), never more than RELAIS_FEED_LIMIT of them (the latest dates first), and the visits
called off in the last RELAIS_FEED_CANCELLED_DAYS with STATUS:CANCELLED so that the apps that
keep an event until told remove it. One query, whatever the number of visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.agenda import ics
from app.extensions import db
from app.models import Intervention, Site, Supplier, Ticket, User

DEFAULT_PAST_DAYS = 90
DEFAULT_LIMIT = 2000
DEFAULT_CANCELLED_DAYS = 14


@dataclass(frozen=True)
class Feed:
    name: str
    interventions: list[Intervention]
    with_supplier: bool

    def to_ical(self, now: datetime) -> bytes:
        return ics.feed(
            self.interventions, name=self.name, stamp=now, with_supplier=self.with_supplier
        )


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def window() -> dict:
    """The feed's settings, as the agenda page explains them."""
    return {
        "past_days": _setting("RELAIS_FEED_PAST_DAYS", DEFAULT_PAST_DAYS),
        "cancelled_days": _setting("RELAIS_FEED_CANCELLED_DAYS", DEFAULT_CANCELLED_DAYS),
        "visit_minutes": ics.visit_minutes(),
    }


def visits(now: datetime, supplier_id: int | None = None) -> list[Intervention]:
    """The feed's visits, with everything the events show loaded in the same query."""
    past = now - timedelta(days=_setting("RELAIS_FEED_PAST_DAYS", DEFAULT_PAST_DAYS))
    cancelled_since = now - timedelta(
        days=_setting("RELAIS_FEED_CANCELLED_DAYS", DEFAULT_CANCELLED_DAYS)
    )
    ticket = joinedload(Intervention.ticket)
    query = (
        select(Intervention)
        .options(
            ticket.joinedload(Ticket.site).joinedload(Site.establishment),
            ticket.joinedload(Ticket.technician),
            joinedload(Intervention.supplier),
        )
        .where(
            Intervention.on_the_spot.is_(False),  # recorded after the fact, never planned
            Intervention.planned_at >= past,
            or_(Intervention.cancelled_at.is_(None), Intervention.cancelled_at >= cancelled_since),
        )
        .order_by(Intervention.planned_at.desc(), Intervention.id.desc())
        .limit(_setting("RELAIS_FEED_LIMIT", DEFAULT_LIMIT))
    )
    if supplier_id is not None:
        query = query.where(Intervention.supplier_id == supplier_id)
    return list(db.session.scalars(query).unique())


def feed_of(owner: Supplier | User, now: datetime) -> Feed:
    if isinstance(owner, Supplier):
        return Feed(f"Relais — {owner.name}", visits(now, owner.id), with_supplier=False)
    return Feed(
        _("Relais — interventions de tous les fournisseurs"), visits(now), with_supplier=True
    )
