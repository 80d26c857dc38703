"""Column types and index kinds shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index
from sqlalchemy.types import TypeDecorator


def trigram_index(name: str, column: str) -> Index:
    """An index serving `LIKE '%word%'` on a folded search column: GIN with `pg_trgm`'s
    operators on PostgreSQL; on SQLite the options are ignored and a plain index (which serves
    nothing there) keeps one schema for both databases."""
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An instant, always timezone-aware in UTC in Python.

    PostgreSQL stores it as `timestamptz`; SQLite has no time zones, so the value is stored as
    naive UTC and given its zone back on the way out. Naive datetimes are refused on the way in:
    they are the classic source of an hour's error around daylight-saving changes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
