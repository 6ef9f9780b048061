"""What every table module shares: the declarative base and the column types.

``UTCDateTime`` keeps datetimes aware and in UTC on PostgreSQL and SQLite alike; ``BigId`` is
the id type that auto-increments on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# A 64-bit id on PostgreSQL; SQLite only auto-increments a column typed plain INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


def table_of(row: type[Base]) -> Table:
    """The Core ``Table`` a row class maps (``__table__`` is typed as any ``FromClause``)."""
    table = row.__table__
    assert isinstance(table, Table)
    return table
