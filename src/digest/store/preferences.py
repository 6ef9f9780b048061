"""Preference changes: segment opt-ins, the preference centre, pauses, unsubscribes and
resubscribes, each written with its consent record.

Each function takes a Connection inside the caller's transaction and is named like the query
it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from digest.store.consents import Evidence, record_consent
from digest.store.db import upsert_insert
from digest.store.schema import SubscriberRow, SubscriberSegmentRow, SuppressionRow
from digest.store.suppressions import add_suppression, suppression_for


def segments_of(conn: Connection, subscriber_id: int) -> tuple[str, ...]:
    """The segments the subscriber is opted into, sorted."""
    return tuple(
        conn.execute(
            select(SubscriberSegmentRow.segment)
            .where(SubscriberSegmentRow.subscriber_id == subscriber_id)
            .order_by(SubscriberSegmentRow.segment)
        ).scalars()
    )


def replace_segments(conn: Connection, subscriber_id: int, segments: Iterable[str]) -> None:
    """Set the subscriber's segment opt-ins to exactly ``segments``."""
    wanted = sorted(set(segments))
    conn.execute(
        delete(SubscriberSegmentRow).where(
            SubscriberSegmentRow.subscriber_id == subscriber_id,
            SubscriberSegmentRow.segment.not_in(wanted),
        )
    )
    if wanted:
        conn.execute(
            upsert_insert(conn, SubscriberSegmentRow).on_conflict_do_nothing(),
            [{"subscriber_id": subscriber_id, "segment": s} for s in wanted],
        )


def update_preferences(
    conn: Connection,
    subscriber_id: int,
    *,
    segments: Sequence[str],
    topics: Sequence[str],
    locale: str,
    timezone: str,
    paused_until: datetime | None,
    now: datetime,
    evidence: Evidence,
) -> None:
    """Write the preference centre's choices and keep a consent record of the change."""
    before = set(segments_of(conn, subscriber_id))
    replace_segments(conn, subscriber_id, segments)
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id)
        .values(
            topics=list(topics),
            locale=locale,
            timezone=timezone,
            paused_until=paused_until,
            updated_at=now,
        )
    )
    after = set(segments)
    record_consent(
        conn,
        subscriber_id,
        "preferences",
        evidence,
        now,
        {
            "added": sorted(after - before),
            "removed": sorted(before - after),
            "topics": list(topics),
            "locale": locale,
            "timezone": timezone,
            "paused_until": paused_until.isoformat() if paused_until else None,
        },
    )


def set_pause(
    conn: Connection, subscriber_id: int, until: datetime | None, now: datetime, evidence: Evidence
) -> None:
    """Pause the subscriber's digests until ``until`` (None resumes them), with a record."""
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id)
        .values(paused_until=until, updated_at=now)
    )
    action = "pause" if until is not None else "resume"
    detail = {"until": until.isoformat()} if until is not None else {}
    record_consent(conn, subscriber_id, action, evidence, now, detail)


def unsubscribe_subscriber(
    conn: Connection,
    subscriber_id: int,
    segment: str | None,
    source: str,
    now: datetime,
    evidence: Evidence | None = None,
) -> str:
    """Leave ``segment`` (or everything when None); returns "segment", "all" or "already".

    Leaving the last segment is leaving everything. Leaving everything marks the subscriber
    unsubscribed and suppresses the address; each change is written as a consent record.
    """
    row = conn.execute(
        select(SubscriberRow.email, SubscriberRow.status)
        .where(SubscriberRow.id == subscriber_id)
        .with_for_update()
    ).first()
    if row is None:
        return "already"
    evidence = evidence or Evidence(source=source)
    if row.status not in ("active", "pending"):
        add_suppression(conn, row.email, "unsubscribe", source, now)
        return "already"
    segments = set(segments_of(conn, subscriber_id))
    if segment is not None and segment not in segments:
        return "already"
    if segment is not None and len(segments) > 1:
        replace_segments(conn, subscriber_id, segments - {segment})
        conn.execute(
            update(SubscriberRow).where(SubscriberRow.id == subscriber_id).values(updated_at=now)
        )
        record_consent(conn, subscriber_id, "unsubscribe", evidence, now, {"segment": segment})
        return "segment"
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id)
        .values(status="unsubscribed", updated_at=now)
    )
    add_suppression(conn, row.email, "unsubscribe", source, now)
    record_consent(
        conn, subscriber_id, "unsubscribe", evidence, now, {"segment": segment, "scope": "all"}
    )
    return "all"


def resubscribe_subscriber(
    conn: Connection, subscriber_id: int, now: datetime, evidence: Evidence
) -> bool:
    """Make an unsubscribed subscriber active again; False unless they were unsubscribed.

    Bounced and complained addresses are left alone: lifting those is an operator's call.
    """
    row = conn.execute(
        select(SubscriberRow.email, SubscriberRow.status).where(SubscriberRow.id == subscriber_id)
    ).first()
    if row is None or row.status != "unsubscribed":
        return False
    blocking = suppression_for(conn, row.email)
    if blocking is not None and blocking.reason != "unsubscribe":
        return False
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id)
        .values(status="active", updated_at=now, paused_until=None)
    )
    conn.execute(delete(SuppressionRow).where(SuppressionRow.email == row.email))
    detail = {"segments": list(segments_of(conn, subscriber_id))}
    record_consent(conn, subscriber_id, "resubscribe", evidence, now, detail)
    return True
