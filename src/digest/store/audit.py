"""Audit log queries: append one staff action, read them back newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from digest.store.schema import AuditRow, table_of


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: datetime
    actor: str
    action: str
    segment: str | None
    edition_date: date | None
    edition_id: int | None
    target: str | None
    before: Any
    after: Any
    client: str | None


def append_audit(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    segment: str | None = None,
    edition_date: date | None = None,
    edition_id: int | None = None,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    client: str | None = None,
) -> None:
    """Record one action in the caller's transaction (it stands or falls with the change)."""
    conn.execute(
        table_of(AuditRow)
        .insert()
        .values(
            at=at,
            actor=actor[:400],
            action=action,
            segment=segment,
            edition_date=edition_date,
            edition_id=edition_id,
            target=target,
            before=before,
            after=after,
            client=client,
        )
    )


def audit_entries(
    conn: Connection,
    *,
    segment: str | None = None,
    edition_date: date | None = None,
    actor: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Recorded actions, newest first, optionally for one segment, edition date or actor."""
    stmt = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
    if segment is not None:
        stmt = stmt.where(AuditRow.segment == segment)
    if edition_date is not None:
        stmt = stmt.where(AuditRow.edition_date == edition_date)
    if actor is not None:
        stmt = stmt.where(AuditRow.actor == actor)
    return [
        AuditEntry(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            segment=r.segment,
            edition_date=r.edition_date,
            edition_id=r.edition_id,
            target=r.target,
            before=r.before,
            after=r.after,
            client=r.client,
        )
        for r in conn.execute(stmt).all()
    ]


def count_actions(conn: Connection, *, actor: str, action: str, since: datetime) -> int:
    """How many times ``actor`` did ``action`` after ``since``."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.actor == actor, AuditRow.action == action, AuditRow.at > since)
        ).scalar_one()
    )


def first_action_since(
    conn: Connection, *, actor: str, action: str, since: datetime
) -> datetime | None:
    """When ``actor`` first did ``action`` after ``since`` (None if not at all)."""
    return conn.execute(
        select(func.min(AuditRow.at)).where(
            AuditRow.actor == actor, AuditRow.action == action, AuditRow.at > since
        )
    ).scalar_one_or_none()
