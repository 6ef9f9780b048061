"""Edition state queries for digest.lifecycle: the row lock, the state write, the history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from digest.store.schema import EditionHistoryRow, EditionRow

# the timestamp column each state sets when an edition enters it
_STAMPS = {
    "approved": "approved_at",
    "sending": "send_started_at",
    "sent": "finished_at",
    "cancelled": "finished_at",
    "skipped": "finished_at",
}


def lock_edition_state(conn: Connection, edition_id: int) -> tuple[str, str] | None:
    """Take the edition's row lock for this transaction: (status, "segment date"), or None.

    On PostgreSQL this is SELECT … FOR UPDATE; on SQLite a no-op UPDATE takes the database's
    write lock before anything is read, so two writers never interleave.
    """
    if conn.dialect.name == "sqlite":
        conn.execute(
            update(EditionRow).where(EditionRow.id == edition_id).values(status=EditionRow.status)
        )
        stmt = select(EditionRow.status, EditionRow.segment, EditionRow.edition_date)
    else:
        stmt = select(EditionRow.status, EditionRow.segment, EditionRow.edition_date)
        stmt = stmt.with_for_update()
    row = conn.execute(stmt.where(EditionRow.id == edition_id)).one_or_none()
    if row is None:
        return None
    return row.status, f"{row.segment} {row.edition_date.isoformat()}"


def edition_state(conn: Connection, edition_id: int) -> str | None:
    """The edition's state as stored now (no lock), or None if it does not exist."""
    return conn.execute(
        select(EditionRow.status).where(EditionRow.id == edition_id)
    ).scalar_one_or_none()


def write_state(
    conn: Connection, edition_id: int, state: str, now: datetime, *, reason: str | None = None
) -> None:
    """Store the edition's new state and the time it entered it (and a skip reason)."""
    values: dict[str, Any] = {"status": str(state)}
    stamp = _STAMPS.get(str(state))
    if stamp:
        values[stamp] = now
    if reason is not None:
        values["skip_reason"] = reason
    conn.execute(update(EditionRow).where(EditionRow.id == edition_id).values(**values))


def append_history(
    conn: Connection,
    edition_id: int,
    from_state: str | None,
    to_state: str,
    action: str,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> None:
    """Append one change of state to the edition's history."""
    conn.execute(
        insert(EditionHistoryRow).values(
            edition_id=edition_id,
            from_state=str(from_state) if from_state is not None else None,
            to_state=str(to_state),
            action=str(action),
            at=at,
            actor=actor[:200],
            reason=reason[:2000] if reason else None,
        )
    )


def history_rows(conn: Connection, edition_id: int) -> Sequence[Any]:
    """The edition's history rows, oldest first."""
    return conn.execute(
        select(
            EditionHistoryRow.from_state,
            EditionHistoryRow.to_state,
            EditionHistoryRow.action,
            EditionHistoryRow.at,
            EditionHistoryRow.actor,
            EditionHistoryRow.reason,
        )
        .where(EditionHistoryRow.edition_id == edition_id)
        .order_by(EditionHistoryRow.id)
    ).all()
