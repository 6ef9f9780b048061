"""Is the ingested content fresh enough to build an edition from? (``feed_state.last_ok_at``)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from digest.store.schema import FeedStateRow


def stale_sources(conn: Connection, sources: Sequence[str], fresh_since: datetime) -> list[str]:
    """The configured sources not fetched successfully since ``fresh_since`` (never = stale)."""
    if not sources:
        return []
    rows = conn.execute(
        select(FeedStateRow.source, FeedStateRow.last_ok_at).where(
            FeedStateRow.source.in_(list(sources))
        )
    ).all()
    last_ok = {name: at for name, at in rows}
    stale = []
    for name in sources:
        at = last_ok.get(name)
        if at is None or at < fresh_since:
            stale.append(name)
    return stale
