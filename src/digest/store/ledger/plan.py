"""Planning the ledger: one pending delivery per recipient, cut into batches, written once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    text,
)

from digest.config import Segment
from digest.store.ledger.values import LedgerError, PlanGroup, PlannedBatch
from digest.store.schema import DeliveryRow, SendBatchRow, SendPlanRow
from digest.store.subscribers import segment_recipients_query


def _locale_expr(segment: Segment, column: Any) -> Any:
    """A recipient's variant: their own locale when the segment sends in it, else the segment's."""
    locales = list(segment.send_locales)
    return case((column.in_(locales), column), else_=literal(segment.locale, String))


def plan_groups(
    conn: Connection, segment: Segment, now: datetime, *, by_timezone: bool
) -> list[PlanGroup]:
    """The segment's current recipients counted per variant locale (and timezone)."""
    recipients = segment_recipients_query(segment, now).order_by(None).subquery()
    locale = _locale_expr(segment, recipients.c.locale).label("variant_locale")
    cols: list[Any] = [locale]
    if by_timezone:
        cols.append(recipients.c.timezone)
    rows = conn.execute(select(*cols, func.count()).group_by(*cols).order_by(*cols)).all()
    return [
        PlanGroup(
            locale=row[0],
            timezone=row[1] if by_timezone else None,
            count=int(row[-1]),
        )
        for row in rows
    ]


def lock_edition(conn: Connection, edition_id: int) -> str | None:
    """Take the edition's row lock for this transaction; its status, or None if it is gone."""
    from digest.store.history import lock_edition_state

    found = lock_edition_state(conn, edition_id)
    return found[0] if found else None


def is_planned(conn: Connection, edition_id: int) -> bool:
    """True when the edition's ledger has been written."""
    return (
        conn.execute(
            select(SendPlanRow.edition_id).where(SendPlanRow.edition_id == edition_id)
        ).first()
        is not None
    )


def plan_deliveries(
    conn: Connection,
    edition_id: int,
    segment: Segment,
    now: datetime,
    *,
    batch_size: int,
    planner: str,
    not_before: Callable[[str | None], datetime | None],
    by_timezone: bool,
) -> list[PlannedBatch]:
    """Write the ledger: one pending delivery per recipient, grouped into batches.

    Call inside a transaction that holds ``lock_edition``, and only when not ``is_planned``.
    Recipients are grouped per variant locale (and per timezone for local-time delivery)
    and cut into batches of ``batch_size`` in subscriber-id order by one INSERT … SELECT:
    the list never passes through Python. Each group's batches are numbered from an offset
    worked out from the group sizes in the same statement, so the batches' locales, timezones
    and sizes come from the snapshot the rows were written from (on PostgreSQL the statement
    returns them; on SQLite the write lock this transaction holds keeps the list still
    until they are read). ``not_before(timezone)`` gives each group's earliest send time.
    """
    write, offsets = _planning_statement(edition_id, segment, now, batch_size, by_timezone)
    inserted, found = _write_deliveries(conn, write, offsets)
    expected = sum(int(g[2]) for g in found)
    if inserted != expected:
        raise LedgerError(
            f"planning wrote {inserted} deliveries for {expected} recipients; nothing recorded"
        )
    planned = _batches(found, segment, batch_size, not_before, by_timezone)
    _record_plan(conn, edition_id, planned, now, planner, batch_size, by_timezone)
    return planned


def _planning_statement(
    edition_id: int,
    segment: Segment,
    now: datetime,
    batch_size: int,
    by_timezone: bool,
) -> tuple[Any, Any]:
    """The INSERT … SELECT writing every delivery, and the CTE of each group's first seq."""
    size = literal(batch_size, Integer)
    recipients = segment_recipients_query(segment, now).order_by(None).subquery()
    tz_col: Any = recipients.c.timezone if by_timezone else literal("", String)
    keyed = select(
        recipients.c.id.label("id"),
        _locale_expr(segment, recipients.c.locale).label("loc"),
        tz_col.label("tz"),
    ).cte("planned_recipients")
    groups = (
        select(keyed.c.loc, keyed.c.tz, func.count().label("n"))
        .group_by(keyed.c.loc, keyed.c.tz)
        .cte("planned_groups")
    )
    group_batches = (groups.c.n + size - 1).self_group().op("/")(size)
    offsets = select(
        groups.c.loc,
        groups.c.tz,
        groups.c.n,
        cast(
            func.sum(group_batches).over(order_by=(groups.c.loc, groups.c.tz)) - group_batches,
            Integer,
        ).label("first_seq"),
    ).cte("planned_offsets")
    chunk = (
        (func.row_number().over(partition_by=(keyed.c.loc, keyed.c.tz), order_by=keyed.c.id) - 1)
        .self_group()
        .op("/")(size)
    )
    rows = select(
        literal(edition_id, Integer),
        keyed.c.id,
        offsets.c.first_seq + chunk,
        literal("pending", String),
        literal(now, DeliveryRow.updated_at.type),
    ).select_from(
        keyed.join(offsets, and_(offsets.c.loc == keyed.c.loc, offsets.c.tz == keyed.c.tz))
    )
    columns = ["edition_id", "subscriber_id", "batch_seq", "status", "updated_at"]
    return insert(DeliveryRow).from_select(columns, rows), offsets


def _write_deliveries(conn: Connection, write: Any, offsets: Any) -> tuple[int, list[Any]]:
    """Run the planning statement; (rows written, each group's loc, tz, n, first seq)."""
    group_rows = select(offsets.c.loc, offsets.c.tz, offsets.c.n, offsets.c.first_seq)
    if conn.dialect.name == "postgresql":
        # sort a million recipients in memory rather than in temporary files, and skip
        # compiling the statement to machine code (half a second, for nothing it needs)
        conn.execute(text("SET LOCAL work_mem = '128MB'"))
        conn.execute(text("SET LOCAL jit = off"))
        written = write.returning(DeliveryRow.batch_seq).cte("planned_deliveries")
        found = conn.execute(
            group_rows.add_columns(
                select(func.count()).select_from(written).scalar_subquery()
            ).order_by(offsets.c.first_seq)
        ).all()
        return (int(found[0][4]) if found else 0), list(found)
    conn.execute(write)
    # Python's sqlite3 reports no row count for a statement that starts with WITH
    inserted = int(conn.exec_driver_sql("SELECT changes()").scalar_one())
    return inserted, list(conn.execute(group_rows.order_by(offsets.c.first_seq)).all())


def _batches(
    found: list[Any],
    segment: Segment,
    batch_size: int,
    not_before: Callable[[str | None], datetime | None],
    by_timezone: bool,
) -> list[PlannedBatch]:
    """Each group's batches, numbered from its first seq, with their earliest send time."""
    due: dict[str | None, datetime | None] = {}
    planned: list[PlannedBatch] = []
    for loc, tz, n, first_seq in (g[:4] for g in found):
        timezone = (tz or segment.timezone) if by_timezone else None
        if timezone not in due:
            due[timezone] = not_before(timezone)
        n = int(n)
        for i in range(-(-n // batch_size)):
            planned.append(
                PlannedBatch(
                    int(first_seq) + i,
                    loc or segment.locale,
                    timezone,
                    min(batch_size, n - i * batch_size),
                    due[timezone],
                )
            )
    return planned


def _record_plan(
    conn: Connection,
    edition_id: int,
    planned: list[PlannedBatch],
    now: datetime,
    planner: str,
    batch_size: int,
    by_timezone: bool,
) -> None:
    """Write the batch rows and the plan row that marks the ledger as written."""
    if planned:
        conn.execute(
            insert(SendBatchRow),
            [
                {
                    "edition_id": edition_id,
                    "seq": b.seq,
                    "locale": b.locale,
                    "timezone": b.timezone,
                    "status": "pending",
                    "recipient_count": b.recipient_count,
                    "attempts": 0,
                    "not_before": b.not_before,
                    "updated_at": now,
                }
                for b in planned
            ],
        )
    conn.execute(
        insert(SendPlanRow).values(
            edition_id=edition_id,
            planned_at=now,
            planned_by=planner,
            recipients=sum(b.recipient_count for b in planned),
            batches=len(planned),
            batch_size=batch_size,
            local_time=by_timezone,
        )
    )
