"""Carry out the scheduler's decisions against the database: run, resume, skip or record a miss.

Everything here is safe to run in several processes at once: the editions table's unique
(segment, date) picks one edition, the send ledger's batch claims share the sending, and
settled decisions are written under ``decision_lock`` so each is recorded once.

The pieces it puts together live beside it: ``due`` finds the due times that need a decision,
``recording`` stores each decision once, ``outcomes`` reads a send's result as an outcome.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from digest.alerts import post_quietly
from digest.app import App
from digest.config import Segment
from digest.log_context import log_context
from digest.scheduling.due import MAX_LOOKBACK as MAX_LOOKBACK  # re-exported
from digest.scheduling.due import due_plans
from digest.scheduling.freshness import stale_sources
from digest.scheduling.outcomes import describe_error, log_extra, send_outcome
from digest.scheduling.recording import DecisionRecorder
from digest.scheduling.values import PlannedRun, ScheduleRun
from digest.store.editions import edition_for
from digest.store.schedule_runs import settled_run_for

log = logging.getLogger("digest.schedule")


def host_id() -> str:
    """This process as recorded in schedule_runs.host: hostname and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


class ScheduleRunner:
    """Runs and records a process's scheduled work; one per process, shared by its threads."""

    def __init__(self, app: App, *, host: str | None = None) -> None:
        self.app = app
        self.host = host or host_id()
        self._ingest_lock = threading.Lock()
        self._segment_locks = {s.name: threading.Lock() for s in app.config.segments}
        self._worker_id: str | None = None
        self._decisions = DecisionRecorder(app, self.host)

    @property
    def worker_id(self) -> str:
        """This process's id for the send ledger's batch claims."""
        if self._worker_id is None:
            from digest.send.workers import new_worker_id

            self._worker_id = new_worker_id("scheduler")
        return self._worker_id

    # -- content ---------------------------------------------------------------------------

    def ingest_if_stale(self) -> str | None:
        """Ingest when any source's content is older than the ingest interval; a note if so."""
        sources = [s.name for s in self.app.config.sources]
        if not sources:
            return None
        interval = timedelta(minutes=self.app.config.scheduler.ingest_interval_minutes)
        with self._ingest_lock:
            now = self.app.clock()
            with self.app.engine.connect() as conn:
                stale = stale_sources(conn, sources, now - interval)
            if not stale:
                return None
            from digest.ingest import format_report, ingest_sources

            try:
                report = ingest_sources(self.app)
            except Exception as exc:  # a failed ingest must not stop the edition
                log.error("ingest failed: %s", describe_error(exc))
                return f"ingest failed ({describe_error(exc)}); built from stored content"
            log.info("ingest done: %s", "; ".join(format_report(report)))
            with self.app.engine.connect() as conn:
                still = stale_sources(conn, sources, now - interval)
            if still:
                return f"sources not refreshed: {', '.join(still)}"
            return None

    # -- carrying out a plan ---------------------------------------------------------------

    def run(self, plan: PlannedRun) -> ScheduleRun:
        """Build (from fresh content) and send the edition of a due time; record the outcome."""
        from digest.approval import ApprovalMissing
        from digest.editions import build_edition
        from digest.send.errors import SendAborted
        from digest.sending import NotSendable, send_edition

        with (
            self._segment_locks.setdefault(plan.segment, threading.Lock()),
            log_context(segment=plan.segment, edition_date=plan.edition_date.isoformat()),
        ):
            with self.app.engine.connect() as conn:
                done = settled_run_for(conn, plan.segment, plan.due_at)
            if done is not None:
                return done
            settled = self._decisions.settled_by_edition(plan)
            if settled is not None:
                return settled
            note: str | None = None
            try:
                with self.app.engine.connect() as conn:
                    stored = edition_for(conn, plan.segment, plan.edition_date)
                # a draft built ahead for the editors is re-ranked when sent: fresh content too
                if stored is None or stored.status == "draft":
                    note = self.ingest_if_stale()
                edition = build_edition(
                    self.app, plan.segment, plan.edition_date, actor="scheduler"
                )
                if edition.status in ("skipped", "cancelled"):
                    settled = self._decisions.settled_by_edition(plan)
                    if settled is not None:
                        return settled
                report = send_edition(
                    self.app,
                    plan.segment,
                    plan.edition_date,
                    actor="scheduler",
                    worker_id=self.worker_id,
                    resume_paused=False,
                )
            except ApprovalMissing:  # approval required and missing: held, nothing sent
                return self._hold(plan)
            except NotSendable as exc:
                if edition.status == "paused":
                    return self._decisions.unrecorded(plan, "paused", str(exc))
                if edition.status == "held":
                    return self._hold(plan)
                settled = self._decisions.settled_by_edition(plan)
                if settled is not None:
                    return settled
                return self._decisions.record(plan, "failed", describe_error(exc))
            except SendAborted as exc:  # expected (no traceback); the edition stays sending
                # the send use case raised the outage or refusal alert itself
                return self._decisions.record(plan, "failed", describe_error(exc), alert=False)
            except Exception as exc:  # recorded and retried while within the grace
                log.exception(
                    "%s %s: run failed",
                    plan.segment,
                    plan.edition_date,
                    extra=log_extra(plan.segment, plan.edition_date),
                )
                return self._decisions.record(plan, "failed", describe_error(exc))
            outcome, summary = send_outcome(report)
            if note:
                summary = f"{summary}; {note}"
            if outcome is None:
                log.info(
                    "%s %s: %s",
                    plan.segment,
                    plan.edition_date,
                    summary,
                    extra=log_extra(plan.segment, plan.edition_date),
                )
                return self._decisions.unrecorded(plan, "sending", summary)
            return self._decisions.record(plan, outcome, summary)

    def _hold(self, plan: PlannedRun) -> ScheduleRun:
        """Hold an edition whose required approval is missing; recorded, retried while in grace
        (an approval within the grace still sends it)."""
        from digest.approval import approval_deadline, held_reason, hold_unapproved

        segment = self.app.config.segment(plan.segment)
        deadline = approval_deadline(segment, plan.due_at) or plan.due_at
        hold_unapproved(self.app, segment, plan.edition_date, deadline)
        with self.app.engine.connect() as conn:
            edition = edition_for(conn, plan.segment, plan.edition_date)
        reason = held_reason(self.app, edition) if edition is not None else None
        return self._decisions.record(plan, "held", reason or "approval required and missing")

    def miss(self, plan: PlannedRun, *, edition_in_use: bool = False) -> ScheduleRun:
        """Record a due time that cannot run any more; a send already begun is resumed."""
        from digest.editions import skip_edition

        with (
            self._segment_locks.setdefault(plan.segment, threading.Lock()),
            log_context(segment=plan.segment, edition_date=plan.edition_date.isoformat()),
        ):
            with self.app.engine.connect() as conn:
                done = settled_run_for(conn, plan.segment, plan.due_at)
                edition = edition_for(conn, plan.segment, plan.edition_date)
            if done is not None:
                return done
            settled = self._decisions.settled_by_edition(plan)
            if settled is not None:
                return settled
        if edition is not None and edition.status == "sending":
            # Some readers already have it: finishing the send is the only fair outcome.
            return self.run(plan)
        if not edition_in_use:
            try:
                skip_edition(
                    self.app,
                    plan.segment,
                    plan.edition_date,
                    f"missed: {plan.reason}",
                    actor="scheduler",
                )
            except Exception as exc:
                log.exception(
                    "%s %s: cannot mark skipped",
                    plan.segment,
                    plan.edition_date,
                    extra=log_extra(plan.segment, plan.edition_date),
                )
                reason = f"recording the miss: {describe_error(exc)}"
                return self._decisions.record(plan, "failed", reason)
        return self._decisions.record(plan, "missed", plan.reason)

    def resume_open_sends(self) -> list[ScheduleRun]:
        """Resume recent editions left in 'sending' (held batches, a crashed sender).

        Returns one unrecorded result per edition resumed: outcome ``resumed`` or
        ``failed`` with the reason (``scheduler.py --once`` exits 1 on a failure).
        """
        from digest.sending import send_edition
        from digest.store.editions import recent_editions

        results: list[ScheduleRun] = []
        for segment in self.app.config.segments:
            with self.app.engine.connect() as conn:
                open_dates = [
                    r[0] for r in recent_editions(conn, segment.name, limit=3) if r[1] == "sending"
                ]
            for edition_date in open_dates:
                outcome, summary = self._resume(segment.name, edition_date, send_edition)
                results.append(
                    ScheduleRun(
                        segment=segment.name,
                        edition_date=edition_date,
                        due_at=self.app.clock(),
                        ran_at=self.app.clock(),
                        outcome=outcome,
                        reason=summary,
                        host=self.host,
                    )
                )
        return results

    def _resume(self, segment: str, edition_date: Any, send: Any) -> tuple[str, str]:
        with self._segment_locks.setdefault(segment, threading.Lock()):
            try:
                report = send(
                    self.app,
                    segment,
                    edition_date,
                    actor="scheduler",
                    worker_id=self.worker_id,
                    resume_paused=False,
                )
            except Exception as exc:
                reason = describe_error(exc)
                log.error(
                    "%s %s: resuming the send failed: %s",
                    segment,
                    edition_date,
                    reason,
                    extra=log_extra(segment, edition_date),
                )
                return "failed", f"resuming the send failed: {reason}"
        _, summary = send_outcome(report)
        log.info(
            "%s %s: resumed send: %s",
            segment,
            edition_date,
            summary,
            extra=log_extra(segment, edition_date),
        )
        return "resumed", summary

    def ops_chores(self) -> None:
        """Each tick: remember the audiences, alert on held editions, post due alerts.

        None of these may stop the scheduler's real work: a failure is logged.
        """
        from digest.alerts import sync_held
        from digest.console_views import record_heartbeat
        from digest.engagement import record_audiences

        def heartbeat(app: App) -> None:
            record_heartbeat(app, self.host)

        for chore in (heartbeat, record_audiences, sync_held, post_quietly):
            try:
                chore(self.app)
            except Exception as exc:
                log.error("%s failed: %s", chore.__name__.replace("_", " "), exc)

    # -- deciding --------------------------------------------------------------------------

    # -- deciding --------------------------------------------------------------------------

    def plan(self, segment: Segment, now: datetime) -> list[PlannedRun]:
        """What the segment's unsettled due times up to ``now`` need."""
        return due_plans(self.app, segment, now)

    def catch_up(
        self, segments: Iterable[str] | None = None, *, allow_run: bool = True
    ) -> list[ScheduleRun]:
        """Settle every due time up to now: run what is within grace, record what was missed."""
        wanted = set(segments) if segments is not None else None
        results: list[ScheduleRun] = []
        for segment in self.app.config.segments:
            if wanted is not None and segment.name not in wanted:
                continue
            plans = self.plan(segment, self.app.clock())
            running_dates = {p.edition_date for p in plans if p.action == "run"}
            for plan in plans:
                if plan.action == "miss":
                    shared = plan.edition_date in running_dates
                    results.append(self.miss(plan, edition_in_use=shared))
                elif allow_run:
                    results.append(self.run(plan))
        return results
