"""Ticket references, numbered per portal category: TECH-175."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import PortalCategory


def next_number(category_id: int) -> int:
    """The category's next number, in the caller's transaction.

    One UPDATE … RETURNING: the row lock it takes (PostgreSQL) or the database write lock
    (SQLite) makes concurrent creations wait for each other, so two tickets never share a number;
    the unique constraint on (category, number) is the last line of defence.
    """
    return db.session.execute(
        update(PortalCategory)
        .where(PortalCategory.id == category_id)
        .values(last_number=PortalCategory.last_number + 1)
        .returning(PortalCategory.last_number)
    ).scalar_one()


def reference(key: str, number: int) -> str:
    return f"{key}-{number}"
