"""The delivery ledger: one row per (edition, subscriber), grouped into claimable batches.

The ledger is planned once per edition (``plan_deliveries``, bulk INSERT … SELECT), then
workers claim batches atomically (``BatchStatements.claim``: FOR UPDATE SKIP LOCKED on
PostgreSQL, one atomic UPDATE … RETURNING on SQLite), commit ``submitting`` before the
request and the outcome after it. A batch left ``submitting`` by a worker that stopped is
turned ``unknown`` and is never claimed again unless ops ask for it (``retry_unknown``).

Delivery statuses: pending, sent, failed, suppressed, unknown. Batch statuses: pending,
submitting, accepted, failed, unknown. A delivery still ``pending`` in an ``accepted`` batch
was sent: when the provider took every recipient of the batch that was not settled
otherwise, the batch's own row records it for all of them (one row written per batch
instead of a thousand). Recipients settled any other way carry their own status.

``BatchStatements`` builds the statements every batch runs once per send: building the
eligibility query and its cache key costs more than running it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)

from digest.config import SUPPORTED_LOCALES, Segment
from digest.store.schema import (
    DeliveryRow,
    EditionRow,
    SendBatchRow,
    SendPlanRow,
    SubscriberRow,
)
from digest.store.subscribers import segment_recipients_query

# Batch states a worker may claim: pending always, unknown only when ops retry on purpose.
CLAIMABLE = ("pending",)
CLAIMABLE_RETRY_UNKNOWN = ("pending", "unknown")


class LedgerError(Exception):
    """The ledger is not in the state the sender expects (a broken invariant)."""


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """Where every recipient of an edition stands.

    ``recipients`` = sent + failed + suppressed + unknown + in_flight + pending; ``held`` is
    the part of ``pending`` waiting for a later local delivery time.
    """

    recipients: int
    sent: int
    failed: int
    suppressed: int
    unknown: int
    pending: int
    held: int = 0
    in_flight: int = 0
    batches: int = 0
    planned: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (for JSON output)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PlanGroup:
    """Recipients sharing a variant locale (and a timezone when delivering at local time)."""

    locale: str
    timezone: str | None
    count: int


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """A batch as planned: its sequence number, locale, timezone, size and earliest time."""

    seq: int
    locale: str
    timezone: str | None
    recipient_count: int
    not_before: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """A batch this worker now owns (status submitting, lease running)."""

    id: int
    edition_id: int
    seq: int
    locale: str
    timezone: str | None
    not_before: datetime | None
    attempts: int


def _locale_expr(segment: Segment, column: Any) -> Any:
    return case((column.in_(SUPPORTED_LOCALES), column), else_=literal(segment.locale, String))


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
    write = insert(DeliveryRow).from_select(columns, rows)
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
        inserted = int(found[0][4]) if found else 0
    else:
        conn.execute(write)
        # Python's sqlite3 reports no row count for a statement that starts with WITH
        inserted = int(conn.exec_driver_sql("SELECT changes()").scalar_one())
        found = conn.execute(group_rows.order_by(offsets.c.first_seq)).all()
    expected = sum(int(g[2]) for g in found)
    if inserted != expected:
        raise LedgerError(
            f"planning wrote {inserted} deliveries for {expected} recipients; nothing recorded"
        )
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
    return planned


SendRowTuple = tuple[int, str | None, str | None, str | None, str | None, bool]


class BatchStatements:
    """The statements each batch of one edition's send runs, built once for the whole send.

    ``claim`` takes the next due batch and ``rows`` reads its recipients with their
    eligibility. Values that change per batch are
    bind parameters, so every execution reuses one compiled statement.
    """

    def __init__(
        self,
        conn: Connection,
        segment: Segment,
        edition_id: int,
        statuses: Sequence[str] = CLAIMABLE,
    ) -> None:
        self.edition_id = edition_id
        at = SendBatchRow.updated_at.type
        now = bindparam("b_now", type_=at)
        candidate = (
            select(SendBatchRow.id)
            .where(
                SendBatchRow.edition_id == edition_id,
                SendBatchRow.status.in_(list(statuses)),
                or_(
                    SendBatchRow.not_before.is_(None),
                    SendBatchRow.not_before <= bindparam("b_horizon", type_=at),
                ),
            )
            # batches not tried yet first: one set aside after a failed round waits its turn
            .order_by(SendBatchRow.attempts, SendBatchRow.seq)
            .limit(1)
        )
        if conn.dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        sending = (
            select(EditionRow.status).where(EditionRow.id == edition_id).scalar_subquery()
            == "sending"
        )
        self._claim = (
            update(SendBatchRow)
            .where(SendBatchRow.id == candidate.scalar_subquery(), sending)
            .values(
                status="submitting",
                claimed_by=bindparam("b_worker", type_=SendBatchRow.claimed_by.type),
                claimed_at=now,
                lease_expires_at=bindparam("b_lease", type_=at),
                attempts=SendBatchRow.attempts + 1,
                updated_at=now,
            )
            .returning(
                SendBatchRow.id,
                SendBatchRow.seq,
                SendBatchRow.locale,
                SendBatchRow.timezone,
                SendBatchRow.not_before,
                SendBatchRow.attempts,
            )
        )
        # the audience's conditions evaluated on the joined subscriber row itself: one
        # lookup per recipient instead of a second pass over the batch's subscribers
        eligible = segment_recipients_query(segment, now).whereclause
        if eligible is None:
            raise LedgerError("the segment's recipient query has no conditions")
        self._rows = (
            select(
                DeliveryRow.subscriber_id,
                SubscriberRow.email,
                SubscriberRow.name,
                SubscriberRow.locale,
                SubscriberRow.timezone,
                eligible.self_group(),
            )
            .select_from(DeliveryRow)
            .outerjoin(SubscriberRow, SubscriberRow.id == DeliveryRow.subscriber_id)
            .where(
                DeliveryRow.edition_id == edition_id,
                DeliveryRow.batch_seq == bindparam("b_seq", type_=Integer),
                DeliveryRow.status.in_(bindparam("b_statuses", expanding=True)),
            )
            .order_by(DeliveryRow.subscriber_id)
        )

    def claim(
        self,
        conn: Connection,
        worker: str,
        now: datetime,
        lease_until: datetime,
        *,
        horizon: datetime,
    ) -> ClaimedBatch | None:
        """Atomically take the next due batch of the sending edition; None when none is left.

        A batch is due when its ``not_before`` is unset or at most ``horizon``. Nothing is
        claimed once the edition is no longer ``sending`` (cancelled, for example).
        """
        row = conn.execute(
            self._claim,
            {"b_now": now, "b_horizon": horizon, "b_worker": worker, "b_lease": lease_until},
        ).first()
        if row is None:
            return None
        return ClaimedBatch(
            id=row.id,
            edition_id=self.edition_id,
            seq=row.seq,
            locale=row.locale,
            timezone=row.timezone,
            not_before=row.not_before,
            attempts=row.attempts,
        )

    def rows(
        self,
        conn: Connection,
        seq: int,
        now: datetime,
        statuses: Sequence[str] = ("pending",),
    ) -> list[SendRowTuple]:
        """The batch's recipients still to send, in one query, as plain tuples.

        Each is (subscriber id, email, name, locale, timezone, eligible): email is None when
        the subscriber row is gone; ``eligible`` is False when they may no longer be sent the
        segment now (unsubscribed, bounced, complained, suppressed, paused, left the audience).
        """
        result = conn.execute(
            self._rows, {"b_seq": seq, "b_now": now, "b_statuses": list(statuses)}
        )
        return [tuple(r) for r in result]  # type: ignore[misc]


def claimable_locales(
    conn: Connection, edition_id: int, statuses: Sequence[str] = CLAIMABLE
) -> list[str]:
    """The variant locales of the edition's batches still to claim."""
    return list(
        conn.execute(
            select(SendBatchRow.locale)
            .where(SendBatchRow.edition_id == edition_id, SendBatchRow.status.in_(list(statuses)))
            .distinct()
            .order_by(SendBatchRow.locale)
        ).scalars()
    )


def _set_status(
    conn: Connection,
    edition_id: int,
    ids: Iterable[int],
    status: str,
    now: datetime,
    error: str | None = None,
) -> int:
    wanted = list(ids)
    if not wanted:
        return 0
    result = conn.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.edition_id == edition_id,
            DeliveryRow.subscriber_id.in_(bindparam("ids", expanding=True)),
        )
        .values(status=status, error=error, updated_at=now),
        {"ids": wanted},
    )
    return int(result.rowcount)


def mark_deliveries_suppressed(
    conn: Connection, edition_id: int, ids: Iterable[int], reason: str, now: datetime
) -> int:
    """Record recipients skipped at send time (unsubscribed, bounced, complained, paused)."""
    return _set_status(conn, edition_id, ids, "suppressed", now, reason)


def renew_batch_lease(
    conn: Connection, batch_id: int, worker: str, lease_until: datetime, now: datetime
) -> bool:
    """Extend this worker's lease on a submitting batch before another attempt or a wait."""
    result = conn.execute(
        update(SendBatchRow)
        .where(
            SendBatchRow.id == batch_id,
            SendBatchRow.claimed_by == worker,
            SendBatchRow.status == "submitting",
        )
        .values(lease_expires_at=lease_until, updated_at=now)
    )
    return result.rowcount == 1


def record_batch_outcome(
    conn: Connection,
    batch: ClaimedBatch,
    now: datetime,
    *,
    sent: Sequence[int],
    failed: Mapping[int, str],
    unknown: Sequence[int],
    provider_message_id: str | None,
    error: str | None = None,
    reopen: bool = False,
    sent_is_rest: bool = False,
) -> str:
    """Commit what the provider said about a batch; returns the batch's new status.

    The batch is ``pending`` again when ``reopen`` (some recipients were not tried: they go
    out with the next claim, while any ``unknown`` ones keep that status row by row), else
    ``unknown`` if any recipient's fate is unknown (now or from an earlier round of the same
    batch, so that ``--retry-unknown`` finds them), else ``accepted`` if the provider took
    anyone, else ``failed``.

    ``sent_is_rest`` says ``sent`` is exactly the batch's pending recipients other than
    ``failed``. Those rows are then left ``pending``: the batch turning ``accepted`` records
    them as sent (a million-recipient send writes a thousand batch rows instead of a
    million delivery rows). Should the batch no longer be ``submitting`` (another process
    declared it unknown meanwhile), each sent recipient is marked one by one instead.
    """
    if failed:
        conn.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.edition_id == batch.edition_id,
                DeliveryRow.subscriber_id == bindparam("sid"),
            )
            .values(status="failed", error=bindparam("reason"), updated_at=now)
            .execution_options(synchronize_session=False),
            [{"sid": sid, "reason": reason[:2000]} for sid, reason in failed.items()],
        )
    _set_status(conn, batch.edition_id, unknown, "unknown", now, error)
    if reopen:
        status = "pending"
    elif unknown or (batch.attempts > 1 and _has_unknown(conn, batch)):
        status = "unknown"
    elif sent:
        status = "accepted"
    elif failed:
        status = "failed"
    else:
        status = "accepted"  # everyone in it was suppressed: nothing left to send
    if error is None and failed and not sent:
        error = next(iter(failed.values()))
    settle = update(SendBatchRow).values(
        status=status,
        provider_message_id=(provider_message_id or None) and provider_message_id[:300],
        error=error,
        lease_expires_at=None,
        updated_at=now,
    )
    if sent_is_rest and status == "accepted":
        owned = settle.where(SendBatchRow.id == batch.id, SendBatchRow.status == "submitting")
        if conn.execute(owned).rowcount == 1:
            return status
    _set_status(conn, batch.edition_id, sent, "sent", now)
    conn.execute(settle.where(SendBatchRow.id == batch.id))
    return status


def _has_unknown(conn: Connection, batch: ClaimedBatch) -> bool:
    """True when an earlier round of the batch left a recipient whose fate is unknown."""
    return (
        conn.execute(
            select(DeliveryRow.subscriber_id)
            .where(
                DeliveryRow.edition_id == batch.edition_id,
                DeliveryRow.batch_seq == batch.seq,
                DeliveryRow.status == "unknown",
            )
            .limit(1)
        ).first()
        is not None
    )


def release_batch(conn: Connection, batch: ClaimedBatch, now: datetime, reason: str) -> None:
    """Give an unsent batch back (status pending) so a later run sends it."""
    conn.execute(
        update(SendBatchRow)
        .where(SendBatchRow.id == batch.id, SendBatchRow.status == "submitting")
        .values(
            status="pending",
            claimed_by=None,
            lease_expires_at=None,
            error=reason[:2000],
            updated_at=now,
        )
    )


def recover_abandoned_batches(
    conn: Connection,
    edition_id: int,
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
) -> int:
    """Mark ``unknown`` every submitting batch whose worker stopped; returns how many.

    A worker stopped when its lease ran out, or when ``is_dead(claimed_by)`` says so.
    """
    rows = conn.execute(
        select(
            SendBatchRow.id,
            SendBatchRow.seq,
            SendBatchRow.claimed_by,
            SendBatchRow.lease_expires_at,
        ).where(SendBatchRow.edition_id == edition_id, SendBatchRow.status == "submitting")
    ).all()
    stale = [
        r
        for r in rows
        if r.lease_expires_at is None
        or r.lease_expires_at <= now
        or (is_dead is not None and r.claimed_by and is_dead(r.claimed_by))
    ]
    for r in stale:
        reason = f"worker {r.claimed_by} stopped while the batch was being submitted"
        conn.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.edition_id == edition_id,
                DeliveryRow.batch_seq == r.seq,
                DeliveryRow.status == "pending",
            )
            .values(status="unknown", error=reason, updated_at=now)
        )
        conn.execute(
            update(SendBatchRow)
            .where(SendBatchRow.id == r.id, SendBatchRow.status == "submitting")
            .values(status="unknown", error=reason, lease_expires_at=None, updated_at=now)
        )
    return len(stale)


def reopen_unknown_deliveries(conn: Connection, batch: ClaimedBatch, now: datetime) -> int:
    """Make a retried batch's unknown recipients pending again (ops chose to re-send them)."""
    result = conn.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.edition_id == batch.edition_id,
            DeliveryRow.batch_seq == batch.seq,
            DeliveryRow.status == "unknown",
        )
        .values(status="pending", error=None, updated_at=now)
    )
    return int(result.rowcount)


def open_batch_count(conn: Connection, edition_id: int) -> int:
    """How many batches are still pending or submitting (the edition is not finished)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(SendBatchRow)
            .where(
                SendBatchRow.edition_id == edition_id,
                SendBatchRow.status.in_(("pending", "submitting")),
            )
        ).scalar_one()
    )


def next_due_time(conn: Connection, edition_id: int) -> datetime | None:
    """When the earliest held batch of the edition becomes due (None if nothing is held)."""
    return conn.execute(
        select(func.min(SendBatchRow.not_before)).where(
            SendBatchRow.edition_id == edition_id, SendBatchRow.status == "pending"
        )
    ).scalar_one_or_none()


def delivery_counts(
    conn: Connection,
    edition_id: int,
    *,
    now: datetime | None = None,
    is_dead: Callable[[str], bool] | None = None,
) -> DeliveryCounts:
    """Count the edition's recipients by outcome.

    Pending recipients of a ``submitting`` batch are ``in_flight`` while its worker holds a
    live lease at ``now``; without ``now``, or once the lease ran out or ``is_dead`` says the
    worker is gone, they count as ``unknown``. Pending recipients of an ``accepted`` batch
    were sent, of an ``unknown`` batch are unknown. Pending recipients of a batch whose
    ``not_before`` is after ``now`` are also counted as ``held``.
    """
    batches = {
        r.seq: r
        for r in conn.execute(
            select(
                SendBatchRow.seq,
                SendBatchRow.status,
                SendBatchRow.claimed_by,
                SendBatchRow.lease_expires_at,
                SendBatchRow.not_before,
            ).where(SendBatchRow.edition_id == edition_id)
        )
    }
    totals = {"sent": 0, "failed": 0, "suppressed": 0, "unknown": 0, "pending": 0}
    held = in_flight = 0
    rows = conn.execute(
        select(DeliveryRow.batch_seq, DeliveryRow.status, func.count())
        .where(DeliveryRow.edition_id == edition_id)
        .group_by(DeliveryRow.batch_seq, DeliveryRow.status)
    ).all()
    for seq, status, n in rows:
        n = int(n)
        batch = batches.get(seq)
        if status == "pending" and batch is not None and batch.status == "submitting":
            live = (
                now is not None
                and batch.lease_expires_at is not None
                and batch.lease_expires_at > now
                and not (is_dead is not None and batch.claimed_by and is_dead(batch.claimed_by))
            )
            if live:
                in_flight += n
            else:
                totals["unknown"] += n
            continue
        if status == "pending" and batch is not None and batch.status == "unknown":
            totals["unknown"] += n
            continue
        if status == "pending" and batch is not None and batch.status == "accepted":
            totals["sent"] += n  # the accepted batch records them as sent
            continue
        totals[status if status in totals else "unknown"] += n
        if (
            status == "pending"
            and now is not None
            and batch is not None
            and batch.not_before is not None
            and batch.not_before > now
        ):
            held += n
    planned = is_planned(conn, edition_id)
    return DeliveryCounts(
        recipients=sum(totals.values()) + in_flight,
        held=held,
        in_flight=in_flight,
        batches=len(batches),
        planned=planned,
        **totals,
    )
