"""Consent evidence: every opt-in, confirmation, change and withdrawal, kept as it happened.

Records are appended, never updated; each function takes a Connection inside the caller's
transaction and is named like the query it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from digest.store.db import upsert_insert
from digest.store.schema import ConsentRow


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
