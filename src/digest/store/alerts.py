"""Alert queries: each event ops must hear about is one row (unique key), posted at most once
per channel, until acknowledged.

Posting is claimed first (``claim_alert_post``: one process wins, the claim lapses after a
while if that process died) and recorded after (``finish_alert_post``), so two schedulers
never post the same alert twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from digest.store.db import upsert_insert
from digest.store.schema import AlertRow, EditionRow

POSTABLE = ("unposted", "failed")


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as stored, with the status of the edition it concerns (if any)."""

    id: int
    key: str
    kind: str
    segment: str | None
    edition_date: date | None
    edition_id: int | None
    message: str
    raised_at: datetime
    post_state: str
    post_attempts: int
    posted_at: datetime | None
    post_error: str | None
    posted_channels: tuple[str, ...]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    edition_status: str | None = None


def _record(row: Any, edition_status: str | None = None) -> AlertRecord:
    return AlertRecord(
        id=int(row.id),
        key=row.key,
        kind=row.kind,
        segment=row.segment,
        edition_date=row.edition_date,
        edition_id=row.edition_id,
        message=row.message,
        raised_at=row.raised_at,
        post_state=row.post_state,
        post_attempts=int(row.post_attempts or 0),
        posted_at=row.posted_at,
        post_error=row.post_error,
        posted_channels=tuple(row.posted_channels or ()),
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        edition_status=edition_status,
    )


def insert_alert(
    conn: Connection,
    *,
    key: str,
    kind: str,
    message: str,
    now: datetime,
    segment: str | None = None,
    edition_date: date | None = None,
    edition_id: int | None = None,
) -> int | None:
    """Record the alert unless one with ``key`` exists; the new id, or None."""
    new_id = conn.execute(
        upsert_insert(conn, AlertRow)
        .values(
            key=key[:200],
            kind=kind,
            segment=segment,
            edition_date=edition_date,
            edition_id=edition_id,
            message=message[:4000],
            raised_at=now,
            post_state="unposted",
            post_attempts=0,
            posted_channels=[],
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(AlertRow.id)
    ).scalar_one_or_none()
    return int(new_id) if new_id is not None else None


def unacknowledged_for_edition(conn: Connection, kind: str, edition_id: int) -> AlertRecord | None:
    """The newest alert of ``kind`` about the edition that nobody acknowledged yet."""
    row = conn.execute(
        select(AlertRow)
        .where(
            AlertRow.kind == kind,
            AlertRow.edition_id == edition_id,
            AlertRow.acknowledged_at.is_(None),
        )
        .order_by(AlertRow.id.desc())
        .limit(1)
    ).first()
    return _record(row) if row is not None else None


def alerts_since(
    conn: Connection,
    since: datetime,
    *,
    segment: str | None = None,
    include_acknowledged: bool = False,
) -> list[AlertRecord]:
    """Alerts raised at or after ``since``, newest first, with their edition's status."""
    query = (
        select(*AlertRow.__table__.c, EditionRow.status.label("edition_status"))
        .outerjoin(EditionRow, EditionRow.id == AlertRow.edition_id)
        .where(AlertRow.raised_at >= since)
        .order_by(AlertRow.raised_at.desc(), AlertRow.id.desc())
    )
    if segment is not None:
        query = query.where(AlertRow.segment == segment)
    if not include_acknowledged:
        query = query.where(AlertRow.acknowledged_at.is_(None))
    return [_record(row, row.edition_status) for row in conn.execute(query)]


def alert_by_id(conn: Connection, alert_id: int) -> AlertRecord | None:
    """The alert with this id."""
    row = conn.execute(select(AlertRow).where(AlertRow.id == alert_id)).first()
    return _record(row) if row is not None else None


def postable_alerts(
    conn: Connection, since: datetime, kinds: Sequence[str], stale_before: datetime
) -> list[AlertRecord]:
    """Alerts of ``kinds`` raised since ``since`` still to post (or whose claim lapsed)."""
    rows = conn.execute(
        select(AlertRow)
        .where(
            AlertRow.raised_at >= since,
            AlertRow.kind.in_(list(kinds)),
            AlertRow.acknowledged_at.is_(None),
            or_(
                AlertRow.post_state.in_(POSTABLE),
                and_(AlertRow.post_state == "posting", AlertRow.post_claimed_at < stale_before),
            ),
        )
        .order_by(AlertRow.id)
    ).all()
    return [_record(r) for r in rows]


def claim_alert_post(
    conn: Connection, alert_id: int, now: datetime, stale_before: datetime
) -> bool:
    """Take the right to post the alert now; False if another process holds it or it is done."""
    result = conn.execute(
        update(AlertRow)
        .where(
            AlertRow.id == alert_id,
            or_(
                AlertRow.post_state.in_(POSTABLE),
                and_(AlertRow.post_state == "posting", AlertRow.post_claimed_at < stale_before),
            ),
        )
        .values(post_state="posting", post_claimed_at=now, post_attempts=AlertRow.post_attempts + 1)
    )
    return result.rowcount == 1


def finish_alert_post(
    conn: Connection,
    alert_id: int,
    *,
    state: str,
    channels: Sequence[str],
    error: str | None,
    now: datetime,
) -> None:
    """Record a post's outcome: its new state, the channels that have it, the error if any."""
    values: dict[str, Any] = {
        "post_state": state,
        "posted_channels": list(channels),
        "post_error": error[:2000] if error else None,
        "post_claimed_at": None,
    }
    if state == "posted":
        values["posted_at"] = now
    conn.execute(update(AlertRow).where(AlertRow.id == alert_id).values(**values))


def acknowledge_alert(conn: Connection, alert_id: int, by: str, now: datetime) -> bool:
    """Mark the alert seen and dealt with; False if there is no such unacknowledged alert."""
    result = conn.execute(
        update(AlertRow)
        .where(AlertRow.id == alert_id, AlertRow.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=by[:320])
    )
    return result.rowcount == 1


def held_editions(conn: Connection, since: date) -> list[tuple[int, str, date]]:
    """Editions on or after ``since`` that are held: (id, segment, date)."""
    rows = conn.execute(
        select(EditionRow.id, EditionRow.segment, EditionRow.edition_date).where(
            EditionRow.status == "held", EditionRow.edition_date >= since
        )
    )
    return [(int(i), str(s), d) for i, s, d in rows]
