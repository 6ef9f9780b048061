"""The Web Push channel sender: plan the ledger once, then claim, post and record in chunks.

Exactly once per (edition, subscription): a chunk is claimed, each group of it is marked
``posting`` just before its requests go out, and outcomes are written back in groups. A
worker that dies leaves ``claimed`` rows (back to pending on resume) and ``posting`` rows
(unknown: maybe delivered, never posted twice unless ops ask with --retry-unknown).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection

from digest.app import App
from digest.channel_run import ChannelRun, RunControl
from digest.channel_run import wait as wait_for
from digest.config import Segment
from digest.i18n import segment_title
from digest.models import Edition
from digest.push.delivery import PushCall, ssl_context
from digest.push.endpoints import EndpointPolicy
from digest.push.models import PushOutcome, PushState, PushTarget
from digest.push.payload import (
    PLAINTEXT_LIMIT,
    Notification,
    NotificationContext,
    build_notification,
    edition_title,
    topic_for,
)
from digest.push.vapid import VapidSigner, load_vapid
from digest.send.local_time import local_due_time
from digest.send.workers import is_dead_worker, new_worker_id
from digest.store import push_ledger as ledger
from digest.store.push import delete_push_subscriptions

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=5)
MAX_INLINE_WAIT = 120.0  # wait in the run for rows due this soon; later ones end the run
MIN_TTL, MAX_TTL = 60, 28 * 86400
T = TypeVar("T")


def ttl_until_next(segment: Segment, edition_date: date, timezone: str, now: datetime) -> int:
    """Seconds from ``now`` until the segment's next edition after this one (TTL header)."""
    zone = timezone if segment.local_time_delivery else segment.timezone
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(segment.timezone)
    due = local_due_time(segment, edition_date, str(tz))
    trigger = CronTrigger.from_crontab(segment.schedule, timezone=tz)
    after = max(now, due) + timedelta(seconds=1)
    nxt = trigger.get_next_fire_time(None, after)
    seconds = (nxt - now).total_seconds() if nxt else MAX_TTL
    return int(min(MAX_TTL, max(MIN_TTL, seconds)))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (its TLS and sockets cost less CPU per
    push), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def _run_to_end(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(make())


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end: here, or in a thread when this one runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_to_end(make)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="webpush") as pool:
        return pool.submit(_run_to_end, make).result()


class WebPushSender:
    """The ``webpush`` ChannelSender."""

    name = "webpush"

    def __init__(self, app: App, *, worker_id: str | None = None, retry_unknown: bool = False):
        self.app = app
        self.worker = worker_id or new_worker_id("webpush")
        self.retry_unknown = retry_unknown

    # ---- the ChannelSender contract --------------------------------------------------------

    def prepare(
        self, conn: Connection, edition: Edition, now: datetime, *, plan: bool = True
    ) -> None:
        """Inside the edition's lock: write the push ledger once (when ``plan``), recover."""
        assert edition.id is not None
        back, lost = ledger.recover_abandoned(conn, edition.id, now, is_dead_worker)
        if back or lost:
            log.warning(
                "webpush: %d claimed pushes of a stopped sender back to pending, "
                "%d left unknown (they may have been delivered)",
                back,
                lost,
            )
        if not plan:
            return
        segment = self.app.config.segment(edition.segment)
        due_at: Callable[[str], datetime | None] | None = None
        if segment.local_time_delivery:

            def local_due_at(tz: str) -> datetime | None:
                at = local_due_time(segment, edition.edition_date, tz)
                return at if at > now else None

            due_at = local_due_at
        planned = ledger.plan_push(
            conn, edition.id, segment.name, planned_by=self.worker, now=now, due_at=due_at
        )
        if planned is not None:
            log.info(
                "webpush: planned %d pushes for %s %s", planned, segment.name, edition.edition_date
            )

    def open_work(self, conn: Connection, edition_id: int) -> int:
        """Pushes still pending, claimed or posting (0: this channel is done)."""
        return ledger.open_push_work(conn, edition_id)

    def unknown(self, conn: Connection, edition_id: int, now: datetime) -> int:
        """Pushes that may or may not have been delivered (a crash while posting)."""
        return ledger.push_counts(conn, edition_id)[PushState.UNKNOWN]

    def close(self) -> None:
        """Nothing is held between runs (each run opens and closes its connection pool)."""

    def counts(self, conn: Connection, edition_id: int, now: datetime) -> dict[str, int]:
        """Where the edition's pushes stand, every state named."""
        return ledger.push_counts(conn, edition_id)

    def run(self, edition: Edition, control: RunControl) -> ChannelRun:
        """Post every due push of the edition; return when none is due (or told to stop)."""
        assert edition.id is not None
        if self.retry_unknown:
            with self.app.engine.begin() as conn:
                ledger.retry_unknown_push(conn, edition.id, self.app.clock())
        try:
            return run_coroutine(lambda: _Run(self, edition, control).run())
        except Exception as exc:  # reported to the orchestrator, which stops the send
            log.exception("webpush: the channel stopped")
            with self.app.engine.connect() as conn:
                counts = ledger.push_counts(conn, edition.id)
            return ChannelRun("webpush", counts, error=exc, note=f"webpush stopped: {exc}")


class _Run:
    """One run of the sender over one edition."""

    def __init__(self, sender: WebPushSender, edition: Edition, control: RunControl) -> None:
        self.app = sender.app
        self.worker = sender.worker
        self.edition = edition
        self.edition_id = edition.id or 0
        self.control = control
        self.segment = self.app.config.segment(edition.segment)
        self.settings = self.app.config.push
        self.sent = 0

    async def run(self) -> ChannelRun:
        connector = aiohttp.TCPConnector(
            limit=self.settings.concurrency,
            ssl=ssl_context(self.settings.ca_bundle),
            ttl_dns_cache=300,
        )
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            call = self._call(session)
            await asyncio.to_thread(self._recover)
            stopped, next_due = await self._loop(call)
        return await asyncio.to_thread(self._report, stopped, next_due)

    def _call(self, session: aiohttp.ClientSession) -> PushCall:
        config = self.app.config
        contact = config.publication.push_contact or f"mailto:{config.publication.from_email}"
        signer = VapidSigner(load_vapid(self.app.vapid_private_key), contact)
        policy = EndpointPolicy(
            tuple(self.settings.allowed_hosts), self.settings.allow_private_addresses
        )
        now = self.app.clock()
        edition, segment = self.edition, self.segment

        @lru_cache(maxsize=64)
        def ttl(timezone: str) -> int:
            return ttl_until_next(segment, edition.edition_date, timezone, now)

        return PushCall(
            session=session,
            signer=signer,
            policy=policy,
            notification=lru_cache(maxsize=64)(self._notification),
            ttl=ttl,
            topic=topic_for(segment.name),
            max_attempts=self.settings.max_attempts,
            clock=self.app.clock,
        )

    def _notification(self, locale: str, step: int) -> Notification:
        """The payload in ``locale``; each shrink step asks for a smaller one (after a 413)."""
        config, segment = self.app.config, self.segment
        base = config.publication.base_url
        title = segment_title(config, segment, locale)  # the digest's name in the reader's language
        ctx = NotificationContext(
            publication=config.publication.name,
            segment_title=title,
            locale=locale,
            title=edition_title(config.publication.name, title, self.edition.edition_date, locale),
            edition_url=self.app.links.browser_url(
                segment.name, self.edition.edition_date.isoformat()
            )
            + ("" if locale == segment.locale else f"?lang={locale}"),  # the page in its language
            preferences_url=f"{base}/subscribe?lang={locale}#notifications",
            icon_url=str(
                self.settings.icon_url or config.publication.logo_url or f"{base}/push/icon.png"
            ),
            badge_url=str(self.settings.badge_url or f"{base}/push/badge.png"),
            topic=topic_for(segment.name),
        )
        headlines = max(1, self.settings.max_headlines - step)
        return build_notification(
            self.edition,
            ctx,
            max_headlines=headlines,
            max_bytes=int(PLAINTEXT_LIMIT * (0.6**step)),
        )

    # ---- the loop ----------------------------------------------------------------------------

    async def _loop(self, call: PushCall) -> tuple[bool, datetime | None]:
        while True:
            if await asyncio.to_thread(self.control.should_stop):
                return True, None
            targets = await asyncio.to_thread(self._claim)
            if targets:
                if await self._post_all(call, targets):
                    return True, None
                continue
            due = await asyncio.to_thread(self._next_due)
            if due is None:
                return False, None
            pause = (due - self.app.clock()).total_seconds()
            if pause > MAX_INLINE_WAIT:
                return False, due
            if await asyncio.to_thread(wait_for, self.control, min(max(pause, 0.05), 5.0)):
                return True, None

    async def _post_all(self, call: PushCall, targets: Sequence[PushTarget]) -> bool:
        """Post a claimed chunk, marking each group posting just before; True if stopped."""
        group_size = self.settings.concurrency
        limit = asyncio.Semaphore(self.settings.concurrency)
        outcomes: list[PushOutcome] = []
        tasks: set[asyncio.Task[PushOutcome]] = set()

        def done(task: asyncio.Task[PushOutcome]) -> None:
            limit.release()
            tasks.discard(task)
            outcomes.append(task.result())

        for start in range(0, len(targets), group_size):
            group = targets[start : start + group_size]
            if start and await asyncio.to_thread(self.control.should_stop):
                await asyncio.gather(*tasks)
                rest = [
                    PushOutcome(t.subscription_id, PushState.PENDING, attempted=False)
                    for t in targets[start:]
                ]
                await asyncio.to_thread(self._record, [*outcomes, *rest])
                return True
            allowed = await asyncio.to_thread(self._mark_posting, group)
            for target in group:
                if target.subscription_id not in allowed:
                    continue
                await limit.acquire()
                task = asyncio.create_task(call.push(target))
                tasks.add(task)
                task.add_done_callback(done)
            if len(outcomes) >= group_size:
                batch, outcomes[:] = list(outcomes), []
                await asyncio.to_thread(self._record, batch)
        await asyncio.gather(*tasks)
        await asyncio.to_thread(self._record, list(outcomes))
        return False

    # ---- the ledger (each in its own transaction, off the event loop) -----------------------

    def _recover(self) -> None:
        with self.app.engine.begin() as conn:
            back, lost = ledger.recover_abandoned(
                conn, self.edition_id, self.app.clock(), is_dead_worker
            )
        if back or lost:
            log.warning(
                "webpush: %d claimed pushes of a stopped sender back to pending, "
                "%d left unknown (they may have been delivered)",
                back,
                lost,
            )

    def _claim(self) -> list[PushTarget]:
        now = self.app.clock()
        with self.app.engine.begin() as conn:
            return ledger.claim_push(
                conn,
                self.edition_id,
                self.segment.name,
                worker=self.worker,
                now=now,
                limit=self.settings.claim_size,
                lease_until=now + CLAIM_LEASE,
            )

    def _mark_posting(self, group: Sequence[PushTarget]) -> set[int]:
        lease = self.app.clock() + timedelta(seconds=self.settings.timeout_seconds * 3 + 60)
        with self.app.engine.begin() as conn:
            return ledger.mark_posting(
                conn,
                self.edition_id,
                [t.subscription_id for t in group],
                worker=self.worker,
                lease_until=lease,
            )

    def _record(self, outcomes: list[PushOutcome]) -> None:
        if not outcomes:
            return
        gone = [o.subscription_id for o in outcomes if o.status == PushState.GONE]
        with self.app.engine.begin() as conn:
            ledger.record_outcomes(conn, self.edition_id, outcomes, self.app.clock())
            delete_push_subscriptions(conn, gone)
        self.sent += sum(1 for o in outcomes if o.status == PushState.SENT)

    def _next_due(self) -> datetime | None:
        with self.app.engine.connect() as conn:
            return ledger.next_due_at(conn, self.edition_id, self.app.clock())

    def _report(self, stopped: bool, next_due: datetime | None) -> ChannelRun:
        with self.app.engine.connect() as conn:
            counts = ledger.push_counts(conn, self.edition_id)
        return ChannelRun(
            channel="webpush",
            counts=counts,
            stopped=stopped,
            waiting=counts[PushState.PENDING] if next_due else 0,
            next_due=next_due,
            sent=self.sent,
        )
