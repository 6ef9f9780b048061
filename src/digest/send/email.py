"""The email channel: plan the ledger, run the sender threads (and helper processes).

``EmailChannel`` is the ``ChannelSender`` for email. Its run starts
``transport.concurrency`` threads (and, for a large edition, helper processes that claim
from the same ledger, as senders on other hosts do) and a watch on the edition's state, so
that a pause or a cancel made anywhere stops every waiting thread at once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from digest.app import App
from digest.config import Segment
from digest.log_context import in_context
from digest.models import Edition, RenderedEmail
from digest.send import headers
from digest.send.attempts import BatchAttempts
from digest.send.channels import ChannelRun, SendControl
from digest.send.errors import SendError
from digest.send.local_time import local_due_time
from digest.send.policy import Limits
from digest.send.processes import HelperPlan, HelperResult, Helpers, process_count
from digest.send.progress import SendProgress
from digest.send.report import Tally
from digest.send.throttle import RateLimiter
from digest.send.transports.base import OutgoingMessage, Sender, Transport, TransportError
from digest.send.variants import Variants
from digest.send.worker import Advance, SenderLoop
from digest.send.workers import is_dead_worker, new_worker_id
from digest.store import ledger
from digest.store.ledger.session import SqlLedger


class EmailChannel:
    """Sends an edition by email, exactly once per subscriber, resumably."""

    name = "email"

    def __init__(
        self,
        app: App,
        variant: Callable[[str], RenderedEmail],
        *,
        worker: str,
        retry_unknown: bool = False,
        processes: int = 1,
        progress: bool = False,
    ) -> None:
        self.app = app
        self.variant = variant
        self.worker = worker
        self.retry_unknown = retry_unknown
        self.processes = processes
        self.progress = progress
        self.transport: Transport = app.transport()

    def prepare(self, conn: Connection, edition: Edition, now: datetime, *, plan: bool) -> None:
        """Write the ledger once (when ``plan``) and settle batches whose sender stopped."""
        assert edition.id is not None
        segment = self.app.config.segment(edition.segment)
        if plan and not ledger.is_planned(conn, edition.id):
            ledger.plan_deliveries(
                conn,
                edition.id,
                segment,
                now,
                batch_size=self.transport.max_batch_size,
                planner=self.worker,
                not_before=_due_rule(segment, edition, now),
                by_timezone=segment.local_time_delivery,
            )
        settle = getattr(self.transport, "settle", None)
        ledger.recover_abandoned_batches(conn, edition.id, now, is_dead_worker, settle)

    def unknown(self, conn: Connection, edition_id: int, now: datetime) -> int:
        """How many recipients' fate is unknown (for a deliberate retry)."""
        return ledger.delivery_counts(conn, edition_id, now=now, is_dead=is_dead_worker).unknown

    def open_work(self, conn: Connection, edition_id: int) -> int:
        """Batches still pending, claimed or submitting."""
        return ledger.open_batch_count(conn, edition_id)

    def counts(self, conn: Connection, edition_id: int, now: datetime) -> dict[str, int]:
        """The ledger's counts for the edition."""
        counts = ledger.delivery_counts(conn, edition_id, now=now, is_dead=is_dead_worker)
        return {k: v for k, v in counts.as_dict().items() if isinstance(v, int)}

    def run(self, edition: Edition, control: SendControl) -> ChannelRun:
        """Send until no due batch is left, the edition leaves sending, or the send stops."""
        assert edition.id is not None
        book = SqlLedger(
            self.app.engine,
            self.app.config.segment(edition.segment),
            edition.id,
            retry_unknown=self.retry_unknown,
        )
        counts = book.counts()
        todo = counts.pending + (counts.unknown if self.retry_unknown else 0)
        variants = Variants(self.app.config, self.variant)
        extra = process_count(self.processes, counts.batches) - 1
        if self.app.transport_injected:
            extra = 0  # an injected transport lives in this process only
        rate = self.app.config.transport.rate_limit_per_second
        helpers: Helpers | None = None
        if extra > 0:
            rendered = {loc: variants.get(loc) for loc in book.claimable_locales()}
            rate = rate / (extra + 1) if rate else rate
            helpers = Helpers(self._helper_plan(edition, rendered, rate), extra)
        stop: Any = helpers.stop if helpers is not None else threading.Event()
        tally = Tally()
        loop = self._loop(edition, book, variants, stop, tally, rate)
        label = f"{edition.segment} {edition.edition_date}"
        with SendProgress(enabled=self.progress, total=todo, label=label) as bar:
            loop.progress = bar
            results = _run_threads(loop, self._threads(counts.batches), helpers, bar, control, stop)
        _merge(tally, results)
        return ChannelRun(
            sent=tally.sent, batches=tally.batches, fatal=tally.fatal, error=tally.error
        )

    def _threads(self, batches: int) -> int:
        return max(1, min(self.app.config.transport.concurrency, batches or 1))

    def _loop(
        self,
        edition: Edition,
        book: SqlLedger,
        variants: Variants,
        stop: Any,
        tally: Tally,
        rate: float | None,
    ) -> SenderLoop:
        return sender_loop(
            self.app, edition, book, variants, self.transport, stop, tally, rate, self.worker
        )

    def _helper_plan(
        self, edition: Edition, rendered: Mapping[str, RenderedEmail], rate: float | None
    ) -> HelperPlan:
        return HelperPlan(
            config=self.app.config,
            secrets=self.app.secrets,
            clock=self.app.clock,
            edition=edition,
            variants=rendered,
            retry_unknown=self.retry_unknown,
            rate_share=rate,
            parent_pid=os.getpid(),
        )

    def close(self) -> None:
        """Release the transport's connections."""
        self.transport.close()


def sender_loop(
    app: App,
    edition: Edition,
    book: SqlLedger,
    variants: Variants,
    transport: Transport,
    stop: Any,
    tally: Tally,
    rate: float | None,
    worker: str,
    progress: Advance | None = None,
) -> SenderLoop:
    """The loop every sender thread of one process runs (in the main process or a helper)."""
    segment = app.config.segment(edition.segment)
    attempts = BatchAttempts(
        transport=transport,
        limiter=RateLimiter(rate),
        stop=stop,
        tally=tally,
        limits=Limits(
            max_retries=transport.max_retries,
            outage_after_seconds=app.config.transport.outage_after_seconds,
        ),
    )
    return SenderLoop(
        ledger=book,
        attempts=attempts,
        clock=app.clock,
        worker=worker,
        message_for=_messages(app, edition, segment, variants),
        manage_urls=app.links.manage_urls,
        segment=segment.name,
        batch_size=transport.max_batch_size,
        progress=progress,
    )


def _messages(
    app: App, edition: Edition, segment: Segment, variants: Variants
) -> Callable[[ledger.ClaimedBatch], OutgoingMessage]:
    """What each batch sends: its locale's variant with the edition's list headers."""
    pub = app.config.publication
    sender = Sender(pub.from_email, pub.from_name, pub.reply_to)
    list_id = headers.list_id_header(app.config, segment)
    prefix = headers.message_id_prefix(segment.name, edition.edition_date, app.installation_tag)
    categories = ("digest", segment.name, f"edition-{edition.id}")

    def message(batch: ledger.ClaimedBatch) -> OutgoingMessage:
        return OutgoingMessage(
            rendered=variants.get(batch.locale),
            sender=sender,
            categories=categories,
            custom_args={
                "edition_id": str(edition.id),
                "batch": f"{edition.id}-{batch.seq}",
                "segment": segment.name,
            },
            list_id=list_id,
            unsubscribe_mailto=app.config.email.unsubscribe_mailto,
            message_id_prefix=prefix,
        )

    return message


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


def _run_threads(
    loop: SenderLoop,
    count: int,
    helpers: Helpers | None,
    bar: SendProgress,
    control: SendControl,
    stop: Any,
) -> list[HelperResult]:
    """Run the sender threads (and helpers) to the end; a left ``sending`` state stops all.

    Returns the helper processes' results.
    """
    threads = [
        threading.Thread(target=in_context(loop.run), name=f"digest-send-{i}", daemon=True)
        for i in range(count)
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
            if not stop.is_set() and control.should_stop():
                stop.set()  # paused or cancelled elsewhere: waiting threads stop now
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join()
        if helpers is not None:
            helpers.join()
        raise
    if helpers is None:
        return []
    results = helpers.join()
    bar.advance(helpers.progress.take())
    return results


def _merge(tally: Tally, results: list[HelperResult]) -> None:
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


def run_helper_loop(
    app: App,
    edition: Edition,
    variants: Mapping[str, RenderedEmail],
    *,
    stop: Any,
    progress: Advance | None,
    retry_unknown: bool,
    rate: float | None,
) -> Tally:
    """The body of a helper process: claim and send with ``transport.concurrency`` threads.

    ``variants`` were rendered and gated by the main process; ``stop`` is shared with the
    other processes of the send.
    """
    assert edition.id is not None

    def render(locale: str) -> RenderedEmail:
        if locale not in variants:
            raise SendError(f"no rendered variant for locale {locale!r} was handed over")
        return variants[locale]

    transport = app.transport()
    tally = Tally()
    book = SqlLedger(
        app.engine, app.config.segment(edition.segment), edition.id, retry_unknown=retry_unknown
    )
    loop = sender_loop(
        app,
        edition,
        book,
        Variants(app.config, render),
        transport,
        stop,
        tally,
        rate,
        new_worker_id(),
        progress,
    )
    threads = [
        threading.Thread(target=in_context(loop.run), name=f"digest-send-{i}", daemon=True)
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
