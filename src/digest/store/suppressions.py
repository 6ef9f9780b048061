"""Suppressed addresses: who must not be mailed and why, the stronger reason winning.

Setting a subscriber's status by address (bounced, complained) lives here too: it goes with
suppressing the address. Each function takes a Connection inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from digest.store.db import upsert_insert
from digest.store.schema import SubscriberRow, SuppressionRow
from digest.store.subscribers import subscriber_id_for_email

# The stronger reason wins when an address is suppressed twice.
SUPPRESSION_SEVERITY = {
    "manual": 1,
    "unsubscribe": 2,
    "dropped": 3,
    "bounce": 4,
    "spamreport": 5,
}
SUPPRESSION_REASONS = tuple(SUPPRESSION_SEVERITY)


@dataclass(frozen=True, slots=True)
class Suppression:
    """An address that must not be mailed, with why, who said so and when."""

    email: str
    reason: str
    source: str
    detail: str | None
    created_at: datetime


def _suppression(row: Any) -> Suppression:
    return Suppression(
        email=row.email,
        reason=row.reason,
        source=row.source,
        detail=row.detail,
        created_at=row.created_at,
    )


def suppression_for(conn: Connection, email: str) -> Suppression | None:
    """The suppression of this (normalised) address, if any."""
    row = conn.execute(select(SuppressionRow).where(SuppressionRow.email == email)).first()
    return _suppression(row) if row else None


def add_suppression(
    conn: Connection,
    email: str,
    reason: str,
    source: str,
    now: datetime,
    detail: str | None = None,
) -> bool:
    """Suppress the address; True if it is newly suppressed or the reason got stronger."""
    if reason not in SUPPRESSION_SEVERITY:
        raise ValueError(f"unknown suppression reason {reason!r}")
    inserted = conn.execute(
        upsert_insert(conn, SuppressionRow)
        .values(email=email, reason=reason, source=source, detail=detail, created_at=now)
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(SuppressionRow.email)
    ).scalar_one_or_none()
    if inserted is not None:
        return True
    current = suppression_for(conn, email)
    if current is None or SUPPRESSION_SEVERITY[reason] <= SUPPRESSION_SEVERITY.get(
        current.reason, 0
    ):
        return False
    conn.execute(
        update(SuppressionRow)
        .where(SuppressionRow.email == email)
        .values(reason=reason, source=source, detail=detail, created_at=now)
    )
    return True


def remove_suppression(conn: Connection, email: str) -> bool:
    """Lift the suppression of this address; True if there was one."""
    return conn.execute(delete(SuppressionRow).where(SuppressionRow.email == email)).rowcount == 1


def list_suppressions(
    conn: Connection, reason: str | None = None, limit: int | None = None
) -> list[Suppression]:
    """Suppressed addresses, newest first, optionally only those with ``reason``."""
    stmt = select(SuppressionRow).order_by(SuppressionRow.created_at.desc(), SuppressionRow.email)
    if reason is not None:
        stmt = stmt.where(SuppressionRow.reason == reason)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_suppression(r) for r in conn.execute(stmt)]


def count_suppressions(conn: Connection) -> dict[str, int]:
    """How many addresses are suppressed for each reason."""
    return {
        reason: int(n)
        for reason, n in conn.execute(
            select(SuppressionRow.reason, func.count()).group_by(SuppressionRow.reason)
        )
    }


def set_subscriber_status_by_email(
    conn: Connection, email: str, status: str, now: datetime
) -> int | None:
    """Set the status of the subscriber with this address; their id, or None if unknown."""
    sub_id = subscriber_id_for_email(conn, email)
    if sub_id is None:
        return None
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == sub_id)
        .values(status=status, updated_at=now)
    )
    return sub_id
