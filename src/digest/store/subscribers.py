"""Subscriber queries: bulk upsert, segment membership, audience filters, streaming recipients."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)

from digest.config import Segment
from digest.models import Recipient
from digest.store.db import upsert_insert
from digest.store.schema import (
    ConsentRow,
    SubscriberRow,
    SubscriberSegmentRow,
    SuppressionRow,
)

ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class SubscriberInput:
    """A validated subscriber as imported or entered (email already normalised)."""

    email: str
    name: str = ""
    locale: str = "en"
    timezone: str = "UTC"
    topics: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SubscriberRecord:
    """A subscriber as stored, with the segments they opted into."""

    id: int
    email: str
    name: str
    locale: str
    timezone: str
    topics: tuple[str, ...]
    segments: tuple[str, ...]
    attributes: dict[str, Any]
    status: str
    paused_until: datetime | None
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int
    updated: int


def upsert_subscribers(
    conn: Connection, rows: Sequence[SubscriberInput], now: datetime, *, source: str = "import"
) -> UpsertResult:
    """Insert new subscribers and update existing ones (by email), replacing their segments.

    New subscribers are active and get a consent record naming ``source``; the status of an
    existing subscriber (for example unsubscribed) is never changed by an import.
    """
    if not rows:
        return UpsertResult(0, 0)
    by_email = {r.email: r for r in rows}  # last row for an address wins
    emails = list(by_email)
    existing = dict(
        conn.execute(
            select(SubscriberRow.email, SubscriberRow.id).where(SubscriberRow.email.in_(emails))
        ).all()
    )
    new = [by_email[e] for e in emails if e not in existing]
    if new:
        conn.execute(
            upsert_insert(conn, SubscriberRow).on_conflict_do_nothing(index_elements=["email"]),
            [
                {
                    "email": r.email,
                    "name": r.name,
                    "locale": r.locale,
                    "timezone": r.timezone,
                    "topics": list(r.topics),
                    "attributes": r.attributes,
                    "status": ACTIVE,
                    "created_at": now,
                    "updated_at": now,
                    "confirmed_at": now,
                }
                for r in new
            ],
        )
    if existing:
        conn.execute(
            update(SubscriberRow)
            .where(SubscriberRow.id == bindparam("b_id"))
            .values(
                name=bindparam("b_name"),
                locale=bindparam("b_locale"),
                timezone=bindparam("b_timezone"),
                topics=bindparam("b_topics", SubscriberRow.topics.type),
                attributes=bindparam("b_attributes", SubscriberRow.attributes.type),
                updated_at=bindparam("b_updated", SubscriberRow.updated_at.type),
            )
            .execution_options(synchronize_session=False),
            [
                {
                    "b_id": existing[e],
                    "b_name": by_email[e].name,
                    "b_locale": by_email[e].locale,
                    "b_timezone": by_email[e].timezone,
                    "b_topics": list(by_email[e].topics),
                    "b_attributes": by_email[e].attributes,
                    "b_updated": now,
                }
                for e in emails
                if e in existing
            ],
        )
    ids = dict(
        conn.execute(
            select(SubscriberRow.email, SubscriberRow.id).where(SubscriberRow.email.in_(emails))
        ).all()
    )
    conn.execute(
        delete(SubscriberSegmentRow).where(SubscriberSegmentRow.subscriber_id.in_(ids.values()))
    )
    seg_rows = [
        {"subscriber_id": ids[e], "segment": s} for e in emails for s in by_email[e].segments
    ]
    if seg_rows:
        conn.execute(upsert_insert(conn, SubscriberSegmentRow).on_conflict_do_nothing(), seg_rows)
    if new:
        conn.execute(
            upsert_insert(conn, ConsentRow),
            [
                {
                    "subscriber_id": ids[r.email],
                    "action": "import",
                    "at": now,
                    "source": source,
                    "detail": {"segments": list(r.segments)},
                }
                for r in new
                if r.email in ids
            ],
        )
    return UpsertResult(inserted=len(new), updated=len(existing))


def _audience_clause(segment: Segment) -> Any:
    """SQL for the segment's audience filter (every listed attribute must match)."""
    clauses: list[ColumnElement[bool]] = []
    for key, values in (segment.audience or {}).items():
        if not values:
            continue
        if key == "locale":
            clauses.append(SubscriberRow.locale.in_(values))
        elif key == "timezone":
            clauses.append(SubscriberRow.timezone.in_(values))
        elif key == "topics":
            as_text = cast(SubscriberRow.topics, String)
            clauses.append(or_(*[as_text.contains(f'"{v}"') for v in values]))
        else:
            attr = key.removeprefix("attributes.")
            clauses.append(SubscriberRow.attributes[attr].as_string().in_(values))
    return and_(*clauses) if clauses else None


def _eligible_clauses(segment: Segment, now: datetime | ColumnElement[Any]) -> list[Any]:
    opted_in = exists().where(
        SubscriberSegmentRow.subscriber_id == SubscriberRow.id,
        SubscriberSegmentRow.segment == segment.name,
    )
    suppressed = exists().where(SuppressionRow.email == SubscriberRow.email)
    clauses = [
        SubscriberRow.status == ACTIVE,
        opted_in,
        ~suppressed,
        or_(SubscriberRow.paused_until.is_(None), SubscriberRow.paused_until <= now),
    ]
    audience = _audience_clause(segment)
    if audience is not None:
        clauses.append(audience)
    return clauses


def segment_recipients_query(
    segment: Segment, now: datetime | ColumnElement[Any]
) -> Select[int, str, str, str, str]:
    """SELECT id, email, name, locale, timezone of everyone who should get the segment now.

    ``now`` may be a bind parameter, for a statement built once and run many times.
    """
    return (
        select(
            SubscriberRow.id,
            SubscriberRow.email,
            SubscriberRow.name,
            SubscriberRow.locale,
            SubscriberRow.timezone,
        )
        .where(*_eligible_clauses(segment, now))
        .order_by(SubscriberRow.id)
    )


def iter_segment_recipients(
    conn: Connection, segment: Segment, now: datetime, *, chunk: int = 5000
) -> Iterator[Recipient]:
    """Stream the segment's recipients in id order, ``chunk`` rows per query (flat memory)."""
    after = 0
    base = segment_recipients_query(segment, now)
    while True:
        rows = conn.execute(base.where(SubscriberRow.id > after).limit(chunk)).all()
        if not rows:
            return
        for r in rows:
            yield Recipient(r.id, r.email, r.name or "", r.locale, r.timezone)
        after = rows[-1].id


def count_segment_recipients(conn: Connection, segment: Segment, now: datetime) -> int:
    """How many subscribers would receive the segment now."""
    sub = segment_recipients_query(segment, now).order_by(None).subquery()
    return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())


def eligible_subscriber_ids(
    conn: Connection, segment: Segment, ids: Iterable[int], now: datetime
) -> set[int]:
    """Which of ``ids`` may still be sent the segment now (not unsubscribed/suppressed/paused)."""
    wanted = list(ids)
    if not wanted:
        return set()
    rows = conn.execute(
        select(SubscriberRow.id).where(
            SubscriberRow.id.in_(wanted), *_eligible_clauses(segment, now)
        )
    ).scalars()
    return set(rows)


def _to_record(row: Any, segments: Iterable[str]) -> SubscriberRecord:
    return SubscriberRecord(
        id=row.id,
        email=row.email,
        name=row.name or "",
        locale=row.locale,
        timezone=row.timezone,
        topics=tuple(row.topics or ()),
        segments=tuple(segments),
        attributes=dict(row.attributes or {}),
        status=row.status,
        paused_until=row.paused_until,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
    )


def _record(conn: Connection, row: Any) -> SubscriberRecord:
    segments = conn.execute(
        select(SubscriberSegmentRow.segment)
        .where(SubscriberSegmentRow.subscriber_id == row.id)
        .order_by(SubscriberSegmentRow.segment)
    ).scalars()
    return _to_record(row, segments)


def subscriber_by_email(conn: Connection, email: str) -> SubscriberRecord | None:
    """The subscriber with this (case-insensitive) address, if any."""
    row = conn.execute(
        select(SubscriberRow).where(SubscriberRow.email == email.strip().lower())
    ).first()
    return _record(conn, row) if row else None


def subscriber_id_for_email(conn: Connection, email: str) -> int | None:
    """The id of the subscriber with this (already normalised) address, if any."""
    return conn.execute(
        select(SubscriberRow.id).where(SubscriberRow.email == email)
    ).scalar_one_or_none()


def subscriber_by_id(conn: Connection, subscriber_id: int) -> SubscriberRecord | None:
    """The subscriber with this id, if any."""
    row = conn.execute(select(SubscriberRow).where(SubscriberRow.id == subscriber_id)).first()
    return _record(conn, row) if row else None


def iter_subscribers_for_export(
    conn: Connection, *, chunk: int = 5000
) -> Iterator[SubscriberRecord]:
    """Every subscriber in id order with their segments, streamed in chunks."""
    after = 0
    while True:
        rows = conn.execute(
            select(SubscriberRow)
            .where(SubscriberRow.id > after)
            .order_by(SubscriberRow.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        segs: dict[int, list[str]] = {}
        for sid, seg in conn.execute(
            select(SubscriberSegmentRow.subscriber_id, SubscriberSegmentRow.segment)
            .where(SubscriberSegmentRow.subscriber_id.in_(ids))
            .order_by(SubscriberSegmentRow.segment)
        ):
            segs.setdefault(sid, []).append(seg)
        for r in rows:
            yield _to_record(r, segs.get(r.id, ()))
        after = ids[-1]


def count_segment_members(conn: Connection, segment: str) -> int:
    """How many subscribers are opted into the segment, whatever their status."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(SubscriberSegmentRow)
            .where(SubscriberSegmentRow.segment == segment)
        ).scalar_one()
    )
