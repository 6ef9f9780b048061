"""Archive queries: a segment's sent editions, newest first, and an edition's neighbours."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, func, select

from digest.store.schema import EditionRow

SENT = "sent"


def sent_editions(
    conn: Connection, segment: str, *, limit: int, offset: int = 0
) -> list[tuple[date, str, datetime | None]]:
    """The segment's sent editions: (date, subject, finished_at), newest first."""
    rows = conn.execute(
        select(EditionRow.edition_date, EditionRow.subject, EditionRow.finished_at)
        .where(EditionRow.segment == segment, EditionRow.status == SENT)
        .order_by(EditionRow.edition_date.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(r[0], r[1] or "", r[2]) for r in rows]


def sent_edition_count(conn: Connection, segment: str) -> int:
    """How many editions of the segment were sent."""
    return int(
        conn.execute(
            select(func.count()).where(EditionRow.segment == segment, EditionRow.status == SENT)
        ).scalar_one()
    )


def sent_neighbours(conn: Connection, segment: str, day: date) -> tuple[date | None, date | None]:
    """The dates of the sent editions just before and just after ``day``."""
    before = conn.execute(
        select(func.max(EditionRow.edition_date)).where(
            EditionRow.segment == segment,
            EditionRow.status == SENT,
            EditionRow.edition_date < day,
        )
    ).scalar_one_or_none()
    after = conn.execute(
        select(func.min(EditionRow.edition_date)).where(
            EditionRow.segment == segment,
            EditionRow.status == SENT,
            EditionRow.edition_date > day,
        )
    ).scalar_one_or_none()
    return before, after
