"""Rate-limit windows: one row per (scope, key), counted with one atomic upsert."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, case, delete

from digest.store.db import upsert_insert
from digest.store.schema import RateLimitRow


def count_hit(
    conn: Connection, scope: str, key: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Count a hit: (hits in the key's current window, the window's start).

    A window that ended before ``now`` is replaced by a new one starting now.
    """
    stmt = upsert_insert(conn, RateLimitRow).values(scope=scope, key=key, window_start=now, hits=1)
    ended = RateLimitRow.window_start <= bindparam(
        "ended_by", now - window, type_=RateLimitRow.window_start.type
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["scope", "key"],
        set_={
            "hits": case((ended, 1), else_=RateLimitRow.hits + 1),
            "window_start": case(
                (ended, stmt.excluded.window_start), else_=RateLimitRow.window_start
            ),
        },
    ).returning(RateLimitRow.hits, RateLimitRow.window_start)
    hits, started = conn.execute(stmt).one()
    return int(hits), started


def forget_windows_before(conn: Connection, scope: str, cutoff: datetime) -> int:
    """Delete the scope's windows that started before ``cutoff``; how many."""
    return int(
        conn.execute(
            delete(RateLimitRow).where(
                RateLimitRow.scope == scope, RateLimitRow.window_start < cutoff
            )
        ).rowcount
        or 0
    )
