"""Subscription queries: double opt-in, consent records, unsubscribes, suppressions, events.

Every function takes a Connection inside the caller's transaction and is named like the
query it runs. Reading a subscriber by id or email lives in ``store/subscribers.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from digest.store.db import upsert_insert
from digest.store.schema import (
    ConsentRow,
    SubscriberRow,
    SubscriberSegmentRow,
    SuppressionRow,
)

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
class ConsentRecord:
    """One row of consent evidence: an opt-in, confirmation, change or withdrawal."""

    id: int
    subscriber_id: int
    action: str
    at: datetime
    source: str
    ip: str | None
    user_agent: str | None
    wording_version: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Suppression:
    """An address that must not be mailed, with why, who said so and when."""

    email: str
    reason: str
    source: str
    detail: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What a person asked for on the subscribe form (validated, email normalised)."""

    email: str
    segments: tuple[str, ...]
    topics: tuple[str, ...]
    locale: str
    timezone: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an action came from: kept with the consent record."""

    source: str
    ip: str | None = None
    user_agent: str | None = None
    wording_version: str | None = None


def _consent(row: Any) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        subscriber_id=row.subscriber_id,
        action=row.action,
        at=row.at,
        source=row.source,
        ip=row.ip,
        user_agent=row.user_agent,
        wording_version=row.wording_version,
        detail=dict(row.detail or {}),
    )


def record_consent(
    conn: Connection,
    subscriber_id: int,
    action: str,
    evidence: Evidence,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one consent record and return its id (records are never updated)."""
    return int(
        conn.execute(
            upsert_insert(conn, ConsentRow)
            .values(
                subscriber_id=subscriber_id,
                action=action,
                at=at,
                source=evidence.source[:100],
                ip=(evidence.ip or None) and evidence.ip[:64],
                user_agent=evidence.user_agent,
                wording_version=evidence.wording_version,
                detail=detail or {},
            )
            .returning(ConsentRow.id)
        ).scalar_one()
    )


def consent_by_id(conn: Connection, consent_id: int) -> ConsentRecord | None:
    """The consent record with this id, if any."""
    row = conn.execute(select(ConsentRow).where(ConsentRow.id == consent_id)).first()
    return _consent(row) if row else None


def consents_for_subscriber(conn: Connection, subscriber_id: int) -> list[ConsentRecord]:
    """The subscriber's consent history, oldest first."""
    rows = conn.execute(
        select(ConsentRow)
        .where(ConsentRow.subscriber_id == subscriber_id)
        .order_by(ConsentRow.at, ConsentRow.id)
    )
    return [_consent(r) for r in rows]


def latest_consent(
    conn: Connection, subscriber_id: int, actions: Sequence[str]
) -> ConsentRecord | None:
    """The subscriber's newest consent record among ``actions``."""
    row = conn.execute(
        select(ConsentRow)
        .where(ConsentRow.subscriber_id == subscriber_id, ConsentRow.action.in_(list(actions)))
        .order_by(ConsentRow.id.desc())
        .limit(1)
    ).first()
    return _consent(row) if row else None


def subscriber_id_for_email(conn: Connection, email: str) -> int | None:
    """The id of the subscriber with this (already normalised) address, if any."""
    return conn.execute(
        select(SubscriberRow.id).where(SubscriberRow.email == email)
    ).scalar_one_or_none()


def create_pending_subscriber(
    conn: Connection, request: SubscriptionRequest, now: datetime
) -> tuple[int, bool]:
    """Create the address as a pending subscriber; (id, True) if new, (id, False) if it existed.

    A new pending subscriber gets no segment opt-ins: they are written when the address is
    confirmed, from the subscribe request the confirmation link names.
    """
    new_id = conn.execute(
        upsert_insert(conn, SubscriberRow)
        .values(
            email=request.email,
            name=request.name,
            locale=request.locale,
            timezone=request.timezone,
            topics=list(request.topics),
            attributes={},
            status="pending",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(SubscriberRow.id)
    ).scalar_one_or_none()
    if new_id is not None:
        return int(new_id), True
    existing = subscriber_id_for_email(conn, request.email)
    if existing is None:  # pragma: no cover - the row we collided with cannot vanish mid-call
        raise RuntimeError(f"subscriber {request.email} vanished during insert")
    return existing, False


def update_pending_subscriber(
    conn: Connection, subscriber_id: int, request: SubscriptionRequest, now: datetime
) -> None:
    """Replace a still-pending subscriber's locale, timezone, topics and name with the request's."""
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id, SubscriberRow.status == "pending")
        .values(
            name=request.name,
            locale=request.locale,
            timezone=request.timezone,
            topics=list(request.topics),
            updated_at=now,
        )
    )


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


def confirm_subscriber(
    conn: Connection,
    subscriber_id: int,
    request: SubscriptionRequest,
    now: datetime,
    *,
    keep_segments: bool,
) -> None:
    """Activate the subscriber with the confirmed request's segments and settings.

    With ``keep_segments`` (an active subscriber adding segments) the request's segments are
    added to the existing ones; otherwise they replace them. An unsubscribe suppression is
    lifted because the address owner has just opted in again.
    """
    current = set(segments_of(conn, subscriber_id)) if keep_segments else set()
    replace_segments(conn, subscriber_id, current | set(request.segments))
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id)
        .values(
            status="active",
            locale=request.locale,
            timezone=request.timezone,
            topics=list(request.topics),
            name=request.name or SubscriberRow.name,
            confirmed_at=now,
            updated_at=now,
            paused_until=None,
        )
    )
    conn.execute(
        delete(SuppressionRow).where(
            SuppressionRow.email == request.email, SuppressionRow.reason == "unsubscribe"
        )
    )


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


def count_recent_consents(
    conn: Connection, subscriber_id: int, action: str, since: datetime
) -> int:
    """How many ``action`` records the subscriber has at or after ``since``."""
    return int(
        conn.execute(
            select(func.count()).where(
                ConsentRow.subscriber_id == subscriber_id,
                ConsentRow.action == action,
                ConsentRow.at >= since,
            )
        ).scalar_one()
    )
