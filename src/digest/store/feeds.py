"""Per-source fetch state: conditional-GET validators and the outcome of the last fetch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from digest.store.db import upsert_insert
from digest.store.schema import FeedStateRow

ERROR_MAX = 2000


@dataclass(frozen=True, slots=True)
class FeedState:
    """What we remember about one source between fetches."""

    source: str
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    items_seen: int
    fetch_count: int = 0
    error_count: int = 0


def _state(row: Any) -> FeedState:
    return FeedState(
        source=row.source,
        etag=row.etag,
        last_modified=row.last_modified,
        last_fetched_at=row.last_fetched_at,
        last_ok_at=row.last_ok_at,
        last_error=row.last_error,
        items_seen=row.items_seen or 0,
        fetch_count=row.fetch_count or 0,
        error_count=row.error_count or 0,
    )


def feed_state(conn: Connection, source: str) -> FeedState | None:
    """The stored state of ``source``, or None if it was never fetched."""
    row = conn.execute(select(FeedStateRow).where(FeedStateRow.source == source)).first()
    return _state(row) if row else None


def feed_states(conn: Connection, sources: Sequence[str] | None = None) -> dict[str, FeedState]:
    """Stored states by source name (all of them, or those of ``sources``)."""
    query = select(FeedStateRow).order_by(FeedStateRow.source)
    if sources is not None:
        if not sources:
            return {}
        query = query.where(FeedStateRow.source.in_(list(sources)))
    return {row.source: _state(row) for row in conn.execute(query)}


def _upsert(conn: Connection, source: str, values: dict[str, Any], *, error: bool) -> None:
    """Write the source's state and count the fetch (and the failure, when ``error``)."""
    counts = {"fetch_count": 1, "error_count": 1 if error else 0}
    stmt = upsert_insert(conn, FeedStateRow).values(source=source, **values, **counts)
    bump = {
        "fetch_count": FeedStateRow.fetch_count + 1,
        "error_count": FeedStateRow.error_count + (1 if error else 0),
    }
    conn.execute(stmt.on_conflict_do_update(index_elements=["source"], set_={**values, **bump}))


def record_fetch_ok(
    conn: Connection,
    source: str,
    *,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
    items_seen: int | None,
) -> None:
    """Remember a successful fetch and the validators to send next time (None clears).

    ``items_seen`` None keeps the count stored from the last fetch that read the feed.
    """
    values: dict[str, Any] = {
        "etag": etag,
        "last_modified": last_modified,
        "last_fetched_at": now,
        "last_ok_at": now,
        "last_error": None,
    }
    if items_seen is not None:
        values["items_seen"] = items_seen
    _upsert(conn, source, values, error=False)


def record_not_modified(
    conn: Connection, source: str, *, now: datetime, etag: str | None, last_modified: str | None
) -> None:
    """Remember that the source answered 304 Not Modified."""
    record_fetch_ok(conn, source, now=now, etag=etag, last_modified=last_modified, items_seen=None)


def record_fetch_error(conn: Connection, source: str, *, now: datetime, error: str) -> None:
    """Remember that fetching or reading the source failed, and why; validators are kept."""
    _upsert(conn, source, {"last_fetched_at": now, "last_error": error[:ERROR_MAX]}, error=True)
