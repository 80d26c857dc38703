"""What the demo tests count."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Equipment,
    Establishment,
    PortalCategory,
    Site,
    Supplier,
    Ticket,
    TicketEvent,
    User,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def totals() -> dict[str, int]:
    return {
        model.__name__: count(model)
        for model in (
            Establishment,
            Site,
            PortalCategory,
            Supplier,
            User,
            Equipment,
            Ticket,
            TicketEvent,
        )
    }
