"""Push subscription queries: save (one row per endpoint), remove, prune, count."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from digest.push.models import PushSubscriptionInput
from digest.store.db import upsert_insert
from digest.store.schema import PushSubscriptionRow, PushSubscriptionSegmentRow


def endpoint_hash(endpoint: str) -> str:
    """The unique key of an endpoint (endpoints are long; the hash is indexed)."""
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


def _id_for(conn: Connection, endpoint: str) -> int | None:
    return conn.execute(
        select(PushSubscriptionRow.id).where(
            PushSubscriptionRow.endpoint_hash == endpoint_hash(endpoint)
        )
    ).scalar_one_or_none()


def save_push_subscription(
    conn: Connection, sub: PushSubscriptionInput, now: datetime
) -> tuple[int, bool]:
    """Insert or update the subscription for its endpoint: (id, True if it is new).

    A renewal (``replaces``) takes over the old subscription's email link and then
    removes it. The segments are replaced by the ones given.
    """
    linked = sub.subscriber_id
    if sub.replaces and sub.replaces != sub.endpoint:
        old = _id_for(conn, sub.replaces)
        if old is not None:
            if linked is None:
                linked = conn.execute(
                    select(PushSubscriptionRow.subscriber_id).where(PushSubscriptionRow.id == old)
                ).scalar_one_or_none()
            conn.execute(delete(PushSubscriptionRow).where(PushSubscriptionRow.id == old))
    values = {
        "endpoint": sub.endpoint,
        "endpoint_hash": endpoint_hash(sub.endpoint),
        "p256dh": sub.p256dh,
        "auth": sub.auth,
        "locale": sub.locale,
        "timezone": sub.timezone,
        "updated_at": now,
    }
    existing = _id_for(conn, sub.endpoint)
    if existing is None:
        inserted = conn.execute(
            upsert_insert(conn, PushSubscriptionRow)
            .values(**values, subscriber_id=linked, created_at=now)
            .on_conflict_do_nothing(index_elements=["endpoint_hash"])
            .returning(PushSubscriptionRow.id)
        ).scalar_one_or_none()
        created = inserted is not None
        sub_id = inserted if inserted is not None else _id_for(conn, sub.endpoint)
    else:
        created, sub_id = False, existing
    assert sub_id is not None
    if not created:
        if linked is not None:
            values["subscriber_id"] = linked
        conn.execute(
            update(PushSubscriptionRow).where(PushSubscriptionRow.id == sub_id).values(**values)
        )
    _set_segments(conn, sub_id, sub.segments)
    return int(sub_id), created


def _set_segments(conn: Connection, sub_id: int, segments: Iterable[str]) -> None:
    conn.execute(
        delete(PushSubscriptionSegmentRow).where(
            PushSubscriptionSegmentRow.subscription_id == sub_id
        )
    )
    rows = [{"subscription_id": sub_id, "segment": s} for s in dict.fromkeys(segments)]
    if rows:
        conn.execute(upsert_insert(conn, PushSubscriptionSegmentRow), rows)


def remove_push_subscription(conn: Connection, endpoint: str) -> bool:
    """Delete the subscription of ``endpoint``; True if there was one."""
    return (
        conn.execute(
            delete(PushSubscriptionRow).where(
                PushSubscriptionRow.endpoint_hash == endpoint_hash(endpoint)
            )
        ).rowcount
        > 0
    )


def delete_push_subscriptions(conn: Connection, ids: Iterable[int]) -> int:
    """Delete subscriptions the push service reported gone (404/410); how many went."""
    wanted = list(ids)
    if not wanted:
        return 0
    return conn.execute(
        delete(PushSubscriptionRow).where(PushSubscriptionRow.id.in_(wanted))
    ).rowcount


def push_subscription_settings(
    conn: Connection, endpoint: str
) -> tuple[list[str], str, str] | None:
    """(segments, locale, timezone) of the subscription of ``endpoint``; None if unknown."""
    row = conn.execute(
        select(
            PushSubscriptionRow.id, PushSubscriptionRow.locale, PushSubscriptionRow.timezone
        ).where(PushSubscriptionRow.endpoint_hash == endpoint_hash(endpoint))
    ).one_or_none()
    if row is None:
        return None
    segments = conn.execute(
        select(PushSubscriptionSegmentRow.segment)
        .where(PushSubscriptionSegmentRow.subscription_id == row[0])
        .order_by(PushSubscriptionSegmentRow.segment)
    ).scalars()
    return list(segments), row[1], row[2]


def push_subscriber_counts(conn: Connection) -> dict[str, int]:
    """How many push subscriptions each segment has."""
    rows = conn.execute(
        select(PushSubscriptionSegmentRow.segment, func.count()).group_by(
            PushSubscriptionSegmentRow.segment
        )
    )
    return {segment: int(n) for segment, n in rows}
