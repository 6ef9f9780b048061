"""The dispatcher: plan the ledger once, claim batches, send them, record every outcome.

Flow for one edition: the ledger is written once (one pending delivery per recipient,
grouped into batches per variant locale); then ``transport.concurrency`` workers claim
batches from the database, skip recipients who became ineligible (suppressed), commit
``submitting``, hand the batch to the transport (retrying what is safe to retry) and commit
the outcome. Any number of processes, on any number of hosts sharing PostgreSQL, can run
this for one edition together: the claims never overlap.

The edition turns ``sent`` once no batch is pending or submitting. Unknown batches do not
hold it back: they are reported (the CLI exits 1) and ops may re-send them on purpose with
``retry_unknown``, which reopens the edition while it runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from digest import lifecycle
from digest.app import App
from digest.config import Segment
from digest.models import Edition, RenderedEmail
from digest.send.errors import SendAborted, SendError
from digest.send.local_time import local_due_time
from digest.send.processes import HelperPlan, HelperResult, Helpers, process_count
from digest.send.progress import SendProgress
from digest.send.throttle import RateLimiter
from digest.send.transport import (
    BatchOutcome,
    OutgoingMessage,
    Sender,
    SendRow,
    Transport,
    TransportError,
    deliver_rows,
)
from digest.send.workers import is_dead_worker, new_worker_id
from digest.store import deliveries as ledger

OPEN_STATUSES = ("draft", "approved", "sending")
# a batch that outlasts its retries this many times while others go through is failed
SET_ASIDE_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class SendReport:
    """Where an edition's send stands after this run, and what this run did."""

    recipients: int
    sent: int
    failed: int
    suppressed: int
    unknown: int
    pending: int
    held: int
    seconds: float
    rate: float  # recipients accepted per second during this run
    edition_id: int | None = None
    edition_status: str = ""
    in_flight: int = 0
    sent_now: int = 0  # accepted by the provider during this run
    batches_now: int = 0
    next_due: datetime | None = None
    dry_run: bool = False
    note: str | None = None
    variants: dict[str, int] = field(default_factory=dict)  # locale -> recipients (dry run)

    @classmethod
    def from_counts(
        cls, counts: ledger.DeliveryCounts, seconds: float, rate: float = 0.0, **run: Any
    ) -> SendReport:
        """The ledger's counts for the edition, with what this run adds (``run``)."""
        return cls(
            recipients=counts.recipients,
            sent=counts.sent,
            failed=counts.failed,
            suppressed=counts.suppressed,
            unknown=counts.unknown,
            pending=counts.pending,
            held=counts.held,
            in_flight=counts.in_flight,
            seconds=seconds,
            rate=rate,
            **run,
        )

    @property
    def complete(self) -> bool:
        """Everyone was either sent, suppressed or refused: nothing pending or unknown."""
        return self.pending == 0 and self.unknown == 0 and self.in_flight == 0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        out = asdict(self)
        out["next_due"] = self.next_due.isoformat() if self.next_due else None
        out["seconds"] = round(self.seconds, 3)
        out["rate"] = round(self.rate, 1)
        return out


@dataclass
class _Tally:
    """What this run did, shared by the worker threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    batches: int = 0
    fatal: TransportError | None = None
    error: BaseException | None = None
    # when the provider last took a request from this process (the run's start at first)
    last_accepted: float = field(default_factory=time.monotonic)

    def add(self, sent: int) -> None:
        with self.lock:
            self.sent += sent
            self.batches += 1

    def accepted(self) -> None:
        self.last_accepted = time.monotonic()


class _Variants:
    """Each locale's rendering, made once and checked by the compliance gate before use."""

    def __init__(self, app: App, render: Callable[[str], RenderedEmail]) -> None:
        self._app = app
        self._render = render
        self._lock = threading.Lock()
        self._done: dict[str, RenderedEmail] = {}

    def get(self, locale: str) -> RenderedEmail:
        with self._lock:
            if locale not in self._done:
                rendered = self._render(locale)
                gate_variant(rendered, self._app)
                self._done[locale] = rendered
            return self._done[locale]


def gate_variant(rendered: RenderedEmail, app: App) -> None:
    """Re-run the compliance gate on a variant right before it is sent."""
    from digest.render import check_rendered, require_compliance

    require_compliance(check_rendered(rendered, app.config))


def list_id_header(app: App, segment: Segment) -> str:
    """The List-Id header for the segment: "Title <segment.domain>" (RFC 2919)."""
    from digest.render import list_id

    return f"{segment.display_title} <{list_id(app.config, segment.name)}>"


def send_edition(
    app: App,
    edition: Edition,
    variant: Callable[[str], RenderedEmail],
    *,
    retry_unknown: bool = False,
    dry_run: bool = False,
    progress: bool = False,
    worker_id: str | None = None,
    processes: int = 1,
) -> SendReport:
    """Send ``edition`` to its segment exactly once per subscriber; resumable at any point.

    ``processes`` > 1 starts helper processes (see ``digest.send.processes``) when the
    edition has enough batches to be worth it.

    A batch that outlasts every retry of a temporary failure is set aside (pending again,
    tried after the others). Raises SendAborted (with the report so far) when the provider
    refuses the credentials or the message itself, or when a batch outlasts its retries after
    nothing was accepted for ``transport.outage_after_seconds`` (the provider is unavailable:
    ``outage``); nothing is lost and nobody is failed for it: unsent batches stay pending for
    the next run.
    """
    if edition.id is None:
        raise SendError(f"edition {edition.segment} {edition.edition_date} was never stored")
    segment = app.config.segment(edition.segment)
    started = time.monotonic()
    if dry_run:
        return _dry_run(app, edition, segment, variant, started)
    worker = worker_id or new_worker_id()
    transport = app.transport()
    tally = _Tally()
    try:
        status, note = _prepare(app, edition, segment, transport, worker, retry_unknown)
        if status == "sending":
            _run_workers(
                app,
                edition,
                segment,
                transport,
                variant,
                worker,
                tally,
                progress,
                retry_unknown,
                processes,
            )
            status = _finish(app, edition.id)
    finally:
        transport.close()
    report = _report(app, edition.id, status, started, tally, note)
    if tally.error is not None:
        if isinstance(tally.error, SendError):
            raise tally.error
        raise SendError(f"sending stopped: {tally.error}") from tally.error
    if tally.fatal is not None:
        raise SendAborted(tally.fatal.reason, report, outage=tally.fatal.outage)
    return report


def _prepare(
    app: App,
    edition: Edition,
    segment: Segment,
    transport: Transport,
    worker: str,
    retry_unknown: bool,
) -> tuple[str, str | None]:
    """Plan the ledger once and open the edition for sending; returns (status, note)."""
    assert edition.id is not None
    now = app.clock()
    try:
        with app.engine.begin() as conn:
            status = ledger.lock_edition(conn, edition.id)
            if status is None:
                raise SendError(f"edition {edition.segment} {edition.edition_date} is gone")
            if status in ("skipped", "cancelled"):
                return status, f"the edition is {status}; nothing is sent"
            if status == "paused":
                lifecycle.resume(conn, edition.id, actor=f"sender:{worker}", now=now)
                status = "sending"
            if not ledger.is_planned(conn, edition.id):
                if status not in OPEN_STATUSES:
                    return status, f"the edition is {status} and has no send ledger"
                ledger.plan_deliveries(
                    conn,
                    edition.id,
                    segment,
                    now,
                    batch_size=transport.max_batch_size,
                    planner=worker,
                    not_before=_due_rule(segment, edition, now),
                    by_timezone=segment.local_time_delivery,
                )
            ledger.recover_abandoned_batches(conn, edition.id, now, is_dead_worker)
            if status == "sent":
                if not retry_unknown:
                    return status, "the edition was already sent; nothing more to send"
                counts = ledger.delivery_counts(conn, edition.id, now=now, is_dead=is_dead_worker)
                if counts.unknown == 0:
                    return status, "the edition was already sent and nothing is unknown"
                lifecycle.reopen(conn, edition.id, actor=f"sender:{worker}", now=now)
                return "sending", None
            if status in OPEN_STATUSES:
                if status != "sending":
                    lifecycle.start(conn, edition.id, actor=f"sender:{worker}", now=now)
                return "sending", None
            return status, f"the edition is {status}"
    except SQLAlchemyError as exc:
        raise SendError(f"cannot prepare the send ledger: {exc}") from None


def _due_rule(
    segment: Segment, edition: Edition, now: datetime
) -> Callable[[str | None], datetime | None]:
    """not_before for a timezone group: the local send time if still ahead, else None."""

    def due(timezone: str | None) -> datetime | None:
        if timezone is None or not segment.local_time_delivery:
            return None
        at = local_due_time(segment, edition.edition_date, timezone)
        return at if at > now else None

    return due


def _finish(app: App, edition_id: int) -> str:
    """Mark the edition sent when no batch is pending or submitting; its status after."""
    now = app.clock()
    with app.engine.begin() as conn:
        status = ledger.lock_edition(conn, edition_id) or ""
        if status == "sending" and ledger.open_batch_count(conn, edition_id) == 0:
            lifecycle.finish(conn, edition_id, actor="sender", now=now)
            return "sent"
        return status


def _report(
    app: App, edition_id: int, status: str, started: float, tally: _Tally, note: str | None
) -> SendReport:
    now = app.clock()
    with app.engine.connect() as conn:
        counts = ledger.delivery_counts(conn, edition_id, now=now, is_dead=is_dead_worker)
        next_due = ledger.next_due_time(conn, edition_id) if counts.held else None
    seconds = time.monotonic() - started
    return SendReport.from_counts(
        counts,
        seconds,
        rate=tally.sent / seconds if seconds > 0 else 0.0,
        edition_id=edition_id,
        edition_status=status,
        sent_now=tally.sent,
        batches_now=tally.batches,
        next_due=next_due,
        note=note,
    )


def _dry_run(
    app: App,
    edition: Edition,
    segment: Segment,
    variant: Callable[[str], RenderedEmail],
    started: float,
) -> SendReport:
    """What a send would do now, rendering and gating each variant, writing nothing."""
    assert edition.id is not None
    now = app.clock()
    with app.engine.connect() as conn:
        planned = ledger.is_planned(conn, edition.id)
        if planned:
            counts = ledger.delivery_counts(conn, edition.id, now=now, is_dead=is_dead_worker)
            groups = []
        else:
            groups = ledger.plan_groups(conn, segment, now, by_timezone=False)
    variants: dict[str, int] = {}
    for group in groups:
        variants[group.locale] = variants.get(group.locale, 0) + group.count
    for locale in variants:
        gate_variant(variant(locale), app)
    seconds = time.monotonic() - started
    if planned:
        return SendReport.from_counts(
            counts,
            seconds,
            edition_id=edition.id,
            edition_status=edition.status,
            dry_run=True,
            note="the send has begun; these are the ledger's counts",
        )
    total = sum(variants.values())
    return SendReport(
        recipients=total,
        sent=0,
        failed=0,
        suppressed=0,
        unknown=0,
        pending=total,
        held=0,
        seconds=seconds,
        rate=0.0,
        edition_id=edition.id,
        edition_status=edition.status,
        dry_run=True,
        variants=variants,
    )


def _run_workers(
    app: App,
    edition: Edition,
    segment: Segment,
    transport: Transport,
    variant: Callable[[str], RenderedEmail],
    worker: str,
    tally: _Tally,
    progress: bool,
    retry_unknown: bool,
    processes: int = 1,
) -> None:
    """Run the worker threads (and helper processes) until no due batch is left.

    Stops early when the send is cancelled or fails.
    """
    assert edition.id is not None
    with app.engine.connect() as conn:
        counts = ledger.delivery_counts(conn, edition.id)
        locales = ledger.claimable_locales(
            conn,
            edition.id,
            ledger.CLAIMABLE_RETRY_UNKNOWN if retry_unknown else ledger.CLAIMABLE,
        )
    todo = counts.pending + (counts.unknown if retry_unknown else 0)
    variants = _Variants(app, variant)
    helpers: Helpers | None = None
    extra = process_count(processes, counts.batches) - 1
    if app.transport_injected:
        extra = 0  # an injected transport lives in this process only
    rate = app.config.transport.rate_limit_per_second
    if extra > 0:
        rendered = {locale: variants.get(locale) for locale in locales}  # gate them first
        rate = rate / (extra + 1) if rate else rate
        helpers = Helpers(
            HelperPlan(
                config=app.config,
                secrets=app.secrets,
                clock=app.clock,
                edition=edition,
                variants=rendered,
                retry_unknown=retry_unknown,
                rate_share=rate,
                parent_pid=os.getpid(),
            ),
            extra,
        )
    stop: Any = helpers.stop if helpers is not None else threading.Event()
    job = _Job(
        app=app,
        edition_id=edition.id,
        segment=segment,
        transport=transport,
        variants=variants,
        worker=worker,
        limiter=RateLimiter(rate),
        stop=stop,
        tally=tally,
        retry_unknown=retry_unknown,
        message_base=_message_base(app, edition, segment),
    )
    threads_n = max(1, min(app.config.transport.concurrency, counts.batches or 1))
    label = f"{segment.name} {edition.edition_date}"
    with SendProgress(enabled=progress, total=todo, label=label) as bar:
        job.progress = bar
        threads = [
            threading.Thread(target=job.loop, name=f"digest-send-{i}", daemon=True)
            for i in range(threads_n)
        ]
        if helpers is not None:
            helpers.start()
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads) or (helpers and helpers.alive()):
                alive = [t for t in threads if t.is_alive()]
                if alive:
                    alive[0].join(0.2)
                else:
                    time.sleep(0.2)
                if helpers is not None:
                    bar.advance(helpers.progress.take())
        except KeyboardInterrupt:
            stop.set()
            for t in threads:
                t.join()
            if helpers is not None:
                _merge(tally, helpers.join())
            raise
        if helpers is not None:
            _merge(tally, helpers.join())
            bar.advance(helpers.progress.take())


def _merge(tally: _Tally, results: list[HelperResult]) -> None:
    """Add the helper processes' results to this run's tally."""
    for r in results:
        tally.sent += r.sent
        tally.batches += r.batches
        if r.fatal is not None and tally.fatal is None:
            tally.fatal = TransportError(
                r.fatal,
                retryable=False,
                fatal=True,
                status=r.fatal_status,
                outage=r.fatal_outage,
            )
        if r.error is not None and tally.error is None:
            tally.error = SendError(f"a sender process stopped: {r.error}")


class _Advance(Protocol):
    def advance(self, n: int) -> None: ...


def run_claim_loop(
    app: App,
    edition: Edition,
    variants: Mapping[str, RenderedEmail],
    *,
    stop: Any,
    progress: _Advance | None,
    retry_unknown: bool,
    rate: float | None,
) -> _Tally:
    """Claim and send batches with ``transport.concurrency`` threads until none is left.

    The body of a helper process: ``variants`` were rendered and gated by the main process;
    ``stop`` is shared with the other processes of the send.
    """
    assert edition.id is not None
    segment = app.config.segment(edition.segment)

    def render(locale: str) -> RenderedEmail:
        if locale not in variants:
            raise SendError(f"no rendered variant for locale {locale!r} was handed over")
        return variants[locale]

    transport = app.transport()
    tally = _Tally()
    job = _Job(
        app=app,
        edition_id=edition.id,
        segment=segment,
        transport=transport,
        variants=_Variants(app, render),
        worker=new_worker_id(),
        limiter=RateLimiter(rate),
        stop=stop,
        tally=tally,
        retry_unknown=retry_unknown,
        message_base=_message_base(app, edition, segment),
        progress=progress,
    )
    threads = [
        threading.Thread(target=job.loop, name=f"digest-send-{i}", daemon=True)
        for i in range(max(1, app.config.transport.concurrency))
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        transport.close()
    return tally


@dataclass(frozen=True, slots=True)
class _MessageBase:
    sender: Sender
    list_id: str
    unsubscribe_mailto: str | None
    categories: tuple[str, ...]
    message_id_prefix: str


def _message_base(app: App, edition: Edition, segment: Segment) -> _MessageBase:
    pub = app.config.publication
    return _MessageBase(
        sender=Sender(pub.from_email, pub.from_name, pub.reply_to),
        list_id=list_id_header(app, segment),
        unsubscribe_mailto=app.config.email.unsubscribe_mailto,
        categories=("digest", segment.name, f"edition-{edition.id}"),
        message_id_prefix=(
            f"digest.{segment.name}.{edition.edition_date:%Y%m%d}.{app.installation_tag}"
        ),
    )


@dataclass
class _Job:
    """One run's shared state; ``loop`` is what every worker thread runs."""

    app: App
    edition_id: int
    segment: Segment
    transport: Transport
    variants: _Variants
    worker: str
    limiter: RateLimiter
    stop: threading.Event
    tally: _Tally
    retry_unknown: bool
    message_base: _MessageBase
    progress: _Advance | None = None
    _local: threading.local = field(default_factory=threading.local)
    # batch id -> (times it outlasted its retries in this process, when that first happened)
    _set_aside: dict[int, tuple[int, float]] = field(default_factory=dict)

    def loop(self) -> None:
        try:
            # one connection per thread for the whole loop: no pool checkout and liveness
            # ping per transaction (a broken connection fails the next statement instead)
            with self.app.engine.connect() as conn:
                self._local.conn = conn
                statements = ledger.BatchStatements(
                    conn,
                    self.segment,
                    self.edition_id,
                    ledger.CLAIMABLE_RETRY_UNKNOWN if self.retry_unknown else ledger.CLAIMABLE,
                )
                try:
                    while not self.stop.is_set():
                        claimed = self._claim(statements)
                        if claimed is None:
                            return
                        batch, recipients = claimed
                        self._send(batch, recipients)
                finally:
                    self._local.conn = None
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            with self.tally.lock:
                if self.tally.error is None:
                    self.tally.error = exc
            self.stop.set()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A transaction on this thread's connection, committed when the block ends."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self.app.engine.begin() as fresh:
                yield fresh
            return
        with conn.begin():
            yield conn

    def _lease(self, extra: float = 0.0) -> datetime:
        return self.app.clock() + timedelta(seconds=self.transport.lease_seconds + extra)

    def _claim(
        self, statements: ledger.BatchStatements
    ) -> tuple[ledger.ClaimedBatch, list[SendRow]] | None:
        """Claim a batch, drop the recipients no longer eligible, commit ``submitting``."""
        now = self.app.clock()
        with self._transaction() as conn:
            batch = statements.claim(
                conn,
                self.worker,
                now,
                self._lease(),
                horizon=now + self.transport.schedule_ahead,
            )
            if batch is None:
                return None
            if self.retry_unknown:
                ledger.reopen_unknown_deliveries(conn, batch, now)
            found = statements.rows(conn, batch.seq, now)
            gone = [r[0] for r in found if r[1] is None]
            dropped = [r[0] for r in found if r[1] is not None and not r[5]]
            if dropped:
                ledger.mark_deliveries_suppressed(
                    conn,
                    self.edition_id,
                    dropped,
                    "no longer eligible at send time (unsubscribed, bounced, complained, "
                    "suppressed or paused)",
                    now,
                )
            if gone:
                ledger.mark_deliveries_suppressed(
                    conn, self.edition_id, gone, "subscriber deleted before sending", now
                )
        if self.progress is not None and (dropped or gone):
            self.progress.advance(len(dropped) + len(gone))
        send_at = batch.not_before if batch.not_before and batch.not_before > now else None
        manage = self.app.links.manage_urls
        segment = self.segment.name
        # SendRow's generated __new__ is a Python function of its own; tuple.__new__ makes
        # the same named tuple without it (a tenth of the time spent claiming a batch)
        make = tuple.__new__
        rows: list[SendRow] = [
            make(
                SendRow,
                (
                    sid,
                    email,
                    name or "",
                    *manage(sid, segment),
                    send_at,
                    locale or "",
                    timezone or "",
                ),
            )
            for sid, email, name, locale, timezone, ok in found
            if email is not None and ok
        ]
        return batch, rows

    def _message(self, batch: ledger.ClaimedBatch) -> OutgoingMessage:
        base = self.message_base
        return OutgoingMessage(
            rendered=self.variants.get(batch.locale),
            sender=base.sender,
            categories=base.categories,
            custom_args={
                "edition_id": str(self.edition_id),
                "batch": f"{self.edition_id}-{batch.seq}",
                "segment": self.segment.name,
            },
            list_id=base.list_id,
            unsubscribe_mailto=base.unsubscribe_mailto,
            message_id_prefix=base.message_id_prefix,
        )

    def _send(self, batch: ledger.ClaimedBatch, items: list[SendRow]) -> None:
        """Deliver a claimed batch and commit what happened to each recipient."""
        if not items:
            self._record(batch, _Result())
            return
        try:
            message = self._message(batch)
        except BaseException:
            self._release(batch, "the variant could not be rendered")
            raise
        result = self._deliver(batch, message, items)
        self._record(batch, result)
        if result.pause:
            self.stop.wait(result.pause)
        if result.fatal is not None:
            with self.tally.lock:
                if self.tally.fatal is None:
                    self.tally.fatal = result.fatal
            self.stop.set()

    def _deliver(
        self, batch: ledger.ClaimedBatch, message: OutgoingMessage, items: list[SendRow]
    ) -> _Result:
        """Send, split and retry as the transport's errors allow; never re-send blindly."""
        result = _Result()
        queue: deque[list[SendRow]] = deque([items])
        retries = waits = 0
        key = f"{self.edition_id}-{batch.seq}"
        while queue:
            part = queue.popleft()
            if self.stop.is_set() or not self.limiter.acquire(len(part), self.stop):
                result.unsent.extend(part)
                continue
            try:
                outcome = deliver_rows(self.transport, message, part, key)
            except TransportError as exc:
                part = result.absorb_partial(exc.partial, part)
                if not part:
                    continue
                if exc.fatal:
                    result.fatal = exc
                    result.unsent.extend(part)
                    continue
                if exc.outcome_unknown:
                    result.unknown.extend(i.subscriber_id for i in part)
                    result.error = exc.reason
                    continue
                if exc.rejected:
                    result.failed.update(exc.rejected)
                    rest = [i for i in part if i.subscriber_id not in exc.rejected]
                    if rest:
                        queue.appendleft(rest)
                    continue
                if exc.splittable and len(part) > 1:
                    half = len(part) // 2
                    queue.appendleft(part[half:])
                    queue.appendleft(part[:half])
                    continue
                if exc.retryable and self._may_retry(exc, retries, waits):
                    if exc.status == 429:
                        waits += 1
                    else:
                        retries += 1
                    wait = exc.retry_after
                    if wait is None:
                        wait = self.transport.backoff.delay(retries + waits - 1)
                    if exc.status == 429:
                        self.limiter.pause(wait)
                    self._renew(batch, wait)
                    self.stop.wait(wait)  # a stop ends the wait; the loop then sets it aside
                    queue.appendleft(part)
                    continue
                if exc.retryable:
                    tries = retries + waits + 1
                    verdict, rounds = self._exhausted(batch)
                    if verdict == "fail":
                        # the provider takes other batches but never this one
                        reason = (
                            f"gave up after {tries} attempt(s) in each of "
                            f"{SET_ASIDE_ROUNDS} rounds while other batches went through: "
                            f"{exc.reason}"
                        )
                        for i in part:
                            result.failed[i.subscriber_id] = reason
                        continue
                    # retries exhausted on a temporary failure: the provider is down,
                    # unreachable or struggling, not refusing anyone. Keep these recipients
                    # pending: set the batch aside for later, or stop the send as an outage
                    # once nothing at all has been accepted for a while.
                    if verdict == "outage":
                        result.fatal = self._outage(batch, exc, tries)
                    else:
                        result.set_aside = (
                            f"set aside after {tries} attempt(s), to be tried again: {exc.reason}"
                        )
                        # a pause before this thread claims again, growing with the rounds,
                        # so a provider refusing at once is not polled in a tight loop
                        result.pause = self.transport.backoff.delay(rounds - 1)
                    result.unsent.extend(part)
                    while queue:
                        result.unsent.extend(queue.popleft())
                    continue
                for i in part:
                    result.failed[i.subscriber_id] = exc.reason
                continue
            result.absorb(outcome)
        return result

    def _exhausted(self, batch: ledger.ClaimedBatch) -> tuple[str, int]:
        """What to do with a batch that outlasted its retries (set_aside, fail or outage),
        and how many times it has now done so in this process.

        ``outage`` once this process has had nothing accepted for
        ``transport.outage_after_seconds``; ``fail`` when the batch has now outlasted its
        retries ``SET_ASIDE_ROUNDS`` times while other requests were accepted (the trouble
        is this batch, not the provider); else ``set_aside`` (pending again, and claimed
        after the batches not yet tried).
        """
        now = time.monotonic()
        quiet = now - self.tally.last_accepted
        with self.tally.lock:
            rounds, since = self._set_aside.get(batch.id, (0, now))
            rounds += 1
            self._set_aside[batch.id] = (rounds, since)
        if quiet >= self.app.config.transport.outage_after_seconds:
            return "outage", rounds
        if rounds >= SET_ASIDE_ROUNDS and self.tally.last_accepted > since:
            return "fail", rounds
        return "set_aside", rounds

    def _outage(
        self, batch: ledger.ClaimedBatch, exc: TransportError, tries: int
    ) -> TransportError:
        """The fatal error that stops the send when a batch outlasted every retry."""
        return TransportError(
            f"{self.transport.endpoint} did not take batch {self.edition_id}-{batch.seq} in "
            f"{tries} attempt(s); the last error: {exc.reason}",
            retryable=False,
            fatal=True,
            outage=True,
            status=exc.status,
        )

    def _may_retry(self, exc: TransportError, retries: int, waits: int) -> bool:
        if exc.status == 429:
            return waits < max(10, self.transport.max_retries)
        return retries < self.transport.max_retries

    def _renew(self, batch: ledger.ClaimedBatch, wait: float) -> None:
        now = self.app.clock()
        with self._transaction() as conn:
            ledger.renew_batch_lease(conn, batch.id, self.worker, self._lease(wait), now)

    def _release(self, batch: ledger.ClaimedBatch, reason: str) -> None:
        with self._transaction() as conn:
            ledger.release_batch(conn, batch, self.app.clock(), reason)

    def _record(self, batch: ledger.ClaimedBatch, result: _Result) -> None:
        now = self.app.clock()
        with self._transaction() as conn:
            if result.unsent and not (result.sent or result.failed or result.unknown):
                if result.fatal is not None:
                    reason = result.fatal.reason
                else:
                    reason = result.set_aside or "the send was stopped"
                ledger.release_batch(conn, batch, now, reason)
            else:
                ledger.record_batch_outcome(
                    conn,
                    batch,
                    now,
                    sent=result.sent,
                    failed=result.failed,
                    unknown=result.unknown,
                    provider_message_id=",".join(result.message_ids) or None,
                    error=result.error or result.set_aside,
                    reopen=bool(result.unsent),
                    sent_is_rest=not (result.unsent or result.unknown),
                )
        self.tally.add(len(result.sent))
        if result.sent:
            self.tally.accepted()
        if self.progress is not None:
            self.progress.advance(len(result.sent) + len(result.failed) + len(result.unknown))


@dataclass
class _Result:
    """What became of one batch's recipients."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)
    unsent: list[SendRow] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    error: str | None = None
    fatal: TransportError | None = None
    set_aside: str | None = None  # why the unsent go back to pending for a later round
    pause: float = 0.0  # seconds this thread waits before its next claim

    def absorb(self, outcome: BatchOutcome) -> None:
        self.sent.extend(outcome.accepted)
        self.failed.update(outcome.failed)
        self.unknown.extend(outcome.unknown)
        if outcome.provider_message_id:
            self.message_ids.append(outcome.provider_message_id)

    def absorb_partial(
        self, partial: BatchOutcome | None, part: Sequence[SendRow]
    ) -> list[SendRow]:
        """Take what a failing transport settled; the recipients still open."""
        if partial is None:
            return list(part)
        self.absorb(partial)
        settled = set(partial.accepted) | set(partial.failed) | set(partial.unknown)
        return [i for i in part if i.subscriber_id not in settled]
