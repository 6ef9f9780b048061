"""Queries over ``schedule_runs``: the log of what the scheduler decided for each due time.

Writers that must not record the same settled decision twice (two schedulers racing) take
``decision_lock`` first: an immediate write transaction on SQLite, a transaction-scoped
advisory lock on PostgreSQL.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text

from digest.scheduling.values import SETTLED_OUTCOMES, ScheduleRun
from digest.store.schema import ScheduleRunRow

_LOCK_KEY = zlib.crc32(b"digest.schedule_runs")


def _run(row: Any) -> ScheduleRun:
    return ScheduleRun(
        id=row.id,
        segment=row.segment,
        edition_date=row.edition_date,
        due_at=row.due_at,
        ran_at=row.ran_at,
        outcome=row.outcome,
        reason=row.reason,
        host=row.host,
    )


@contextmanager
def decision_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other decision writer holds at the same time."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def settled_run_for(conn: Connection, segment: str, due_at: datetime) -> ScheduleRun | None:
    """The settled (sent, skipped or missed) decision for a segment's due time, if any."""
    row = conn.execute(
        select(ScheduleRunRow)
        .where(
            ScheduleRunRow.segment == segment,
            ScheduleRunRow.due_at == due_at,
            ScheduleRunRow.outcome.in_(SETTLED_OUTCOMES),
        )
        .order_by(ScheduleRunRow.id)
        .limit(1)
    ).first()
    return _run(row) if row is not None else None


def settled_due_times(conn: Connection, segment: str, since: datetime) -> set[datetime]:
    """Due times after ``since`` that already carry a settled decision."""
    rows = conn.execute(
        select(ScheduleRunRow.due_at).where(
            ScheduleRunRow.segment == segment,
            ScheduleRunRow.due_at > since,
            ScheduleRunRow.outcome.in_(SETTLED_OUTCOMES),
        )
    ).scalars()
    return set(rows)


def latest_settled_due(conn: Connection, segment: str) -> datetime | None:
    """The newest due time of the segment that has a settled decision."""
    return conn.execute(
        select(func.max(ScheduleRunRow.due_at)).where(
            ScheduleRunRow.segment == segment, ScheduleRunRow.outcome.in_(SETTLED_OUTCOMES)
        )
    ).scalar_one_or_none()


def sent_run_for_date(conn: Connection, segment: str, edition_date: date) -> ScheduleRun | None:
    """The run that sent the segment's edition of ``edition_date``, if the scheduler sent it."""
    row = conn.execute(
        select(ScheduleRunRow)
        .where(
            ScheduleRunRow.segment == segment,
            ScheduleRunRow.edition_date == edition_date,
            ScheduleRunRow.outcome == "sent",
        )
        .order_by(ScheduleRunRow.id)
        .limit(1)
    ).first()
    return _run(row) if row is not None else None


def record_run(conn: Connection, run: ScheduleRun) -> ScheduleRun:
    """Store a decision; a settled one already on file for the due time wins (returned)."""
    if run.outcome in SETTLED_OUTCOMES:
        existing = settled_run_for(conn, run.segment, run.due_at)
        if existing is not None:
            return existing
    new_id = conn.execute(
        insert(ScheduleRunRow)
        .values(
            segment=run.segment,
            edition_date=run.edition_date,
            due_at=run.due_at,
            ran_at=run.ran_at,
            outcome=run.outcome,
            reason=run.reason,
            host=run.host,
        )
        .returning(ScheduleRunRow.id)
    ).scalar_one()
    return ScheduleRun(
        id=new_id,
        segment=run.segment,
        edition_date=run.edition_date,
        due_at=run.due_at,
        ran_at=run.ran_at,
        outcome=run.outcome,
        reason=run.reason,
        host=run.host,
    )


def last_run(conn: Connection, segment: str) -> ScheduleRun | None:
    """The segment's most recently recorded decision (by due time, then by record order)."""
    row = conn.execute(
        select(ScheduleRunRow)
        .where(ScheduleRunRow.segment == segment)
        .order_by(ScheduleRunRow.due_at.desc(), ScheduleRunRow.id.desc())
        .limit(1)
    ).first()
    return _run(row) if row is not None else None


def recent_runs(conn: Connection, segment: str | None = None, limit: int = 20) -> list[ScheduleRun]:
    """The newest decisions, newest first, optionally for one segment."""
    query = select(ScheduleRunRow).order_by(ScheduleRunRow.due_at.desc(), ScheduleRunRow.id.desc())
    if segment is not None:
        query = query.where(ScheduleRunRow.segment == segment)
    return [_run(r) for r in conn.execute(query.limit(limit)).all()]
