"""APScheduler wiring: persistent jobs in the project's database, signals, misfire bookkeeping.

APScheduler is the alarm clock; the decisions are the runner's and live in the database. Jobs
are stored in the ``apscheduler_jobs`` table (``SQLAlchemyJobStore`` on ``app.engine``), so
they must reference importable functions with picklable arguments: the job functions below
find this process's runner in ``_RUNTIME``, which ``run_scheduler`` fills at start-up.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from digest.app import App
from digest.metrics import ProcessFigures
from digest.ops_http import OpsHttpError, start_endpoints
from digest.scheduling.drafts import prepare_drafts
from digest.scheduling.errors import ScheduleError
from digest.scheduling.plan import effective_grace
from digest.scheduling.runner import ScheduleRunner
from digest.scheduling.timing import check_segment_schedule
from digest.scheduling.trigger import SegmentTrigger
from digest.scheduling.values import ScheduleRun
from digest.store.db import StoreError, is_current

log = logging.getLogger("digest.schedule")

JOBSTORE_TABLE = "apscheduler_jobs"
INGEST_JOB_ID = "digest:ingest"
SEGMENT_JOB_PREFIX = "digest:segment:"
_THIS_MODULE = "digest.scheduling.service"


@dataclass
class _Runtime:
    """The runner of the scheduler started in this process (set by ``run_scheduler``)."""

    runner: ScheduleRunner | None = None
    scheduler: BaseScheduler | None = None
    signals: list[int] = field(default_factory=list)
    figures: ProcessFigures = field(default_factory=ProcessFigures)


_RUNTIME = _Runtime()


def _runner() -> ScheduleRunner:
    if _RUNTIME.runner is None:
        raise ScheduleError("a scheduled job ran outside run_scheduler(); nothing to run it with")
    return _RUNTIME.runner


@contextmanager
def _tick() -> Iterator[None]:
    """Count a job run as a tick of this process (for its health and metrics)."""
    figures = _RUNTIME.figures
    figures.tick_started()
    ok = False
    try:
        yield
        ok = True
    finally:
        figures.tick_finished(ok)


def tick_job() -> None:
    """Periodic job: ingest when content is stale, then settle anything due or missed."""
    with _tick():
        runner = _runner()
        runner.ingest_if_stale()
        prepare_drafts(runner.app)
        runner.catch_up()
        runner.resume_open_sends()
        runner.ops_chores()


def segment_job(segment_name: str) -> None:
    """A segment's cron fired: settle its due time (and any earlier one still open)."""
    _runner().catch_up([segment_name])


def startup_job() -> None:
    """Once at start-up: settle what came due while no scheduler was running."""
    with _tick():
        runner = _runner()
        if _RUNTIME.scheduler is not None:
            for job_id in remove_stale_jobs(_RUNTIME.scheduler, runner.app):
                log.info("removed job %s: its segment is no longer configured", job_id)
        runner.catch_up()
        runner.ops_chores()


def segment_job_id(segment_name: str) -> str:
    """The job store id of a segment's job."""
    return SEGMENT_JOB_PREFIX + segment_name


def make_jobstore(app: App) -> SQLAlchemyJobStore:
    """The persistent job store in the project's database (table ``apscheduler_jobs``)."""
    return SQLAlchemyJobStore(engine=app.engine, tablename=JOBSTORE_TABLE)


def ensure_jobstore_table(store: SQLAlchemyJobStore) -> None:
    """Create the job store table unless it exists; tolerates another process doing the same."""
    try:
        store.jobs_t.create(store.engine, checkfirst=True)
    except SQLAlchemyError:
        if not inspect(store.engine).has_table(JOBSTORE_TABLE):
            raise


def check_ready(app: App) -> None:
    """Refuse to start on an unusable schedule or a database that is not initialised."""
    now = app.clock()
    for segment in app.config.segments:
        check_segment_schedule(segment, now)
    try:
        current = is_current(app.engine)
    except StoreError as exc:
        raise ScheduleError(str(exc)) from None
    if not current:
        raise ScheduleError(
            "the database is not initialised or is out of date: run `digest init` first"
        )


def build_scheduler(app: App) -> BlockingScheduler:
    """A BlockingScheduler with the ingest job and one job per segment, not yet started."""
    settings = app.config.scheduler
    grace = effective_grace(settings.misfire_grace_minutes)
    store = make_jobstore(app)
    ensure_jobstore_table(store)
    scheduler = BlockingScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={
            "coalesce": settings.coalesce,
            "misfire_grace_time": int(grace.total_seconds()),
            "max_instances": 1,
        },
        timezone="UTC",
    )
    scheduler.add_job(
        f"{_THIS_MODULE}:tick_job",
        IntervalTrigger(minutes=settings.ingest_interval_minutes, timezone="UTC"),
        id=INGEST_JOB_ID,
        name="ingest sources and settle due runs",
        replace_existing=True,
    )
    for segment in app.config.segments:
        scheduler.add_job(
            f"{_THIS_MODULE}:segment_job",
            SegmentTrigger(segment.schedule, segment.timezone),
            args=[segment.name],
            id=segment_job_id(segment.name),
            name=f"digest {segment.name}",
            replace_existing=True,
        )
    scheduler.add_job(
        f"{_THIS_MODULE}:startup_job",
        "date",
        run_date=app.clock(),
        id="digest:startup",
        jobstore="memory",
        misfire_grace_time=None,
    )
    scheduler.add_listener(_on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
    return scheduler


def remove_stale_jobs(scheduler: BaseScheduler, app: App) -> list[str]:
    """Drop stored jobs of segments no longer in the config; their ids."""
    wanted = {segment_job_id(s.name) for s in app.config.segments}
    removed = []
    for job in scheduler.get_jobs(jobstore="default"):
        if job.id.startswith(SEGMENT_JOB_PREFIX) and job.id not in wanted:
            scheduler.remove_job(job.id, jobstore="default")
            removed.append(job.id)
    return removed


def _on_event(event: Any) -> None:
    """Log job problems; a missed segment job has its miss recorded, never dropped silently."""
    job_id = getattr(event, "job_id", "")
    if event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("job %s still running at its next fire time; that fire is skipped", job_id)
        return
    if event.code == EVENT_JOB_ERROR:
        log.error("job %s failed: %r", job_id, getattr(event, "exception", None))
        return
    if job_id.startswith(SEGMENT_JOB_PREFIX):
        name = job_id.removeprefix(SEGMENT_JOB_PREFIX)
        log.warning("job %s missed its run at %s", job_id, event.scheduled_run_time)
        try:
            _runner().catch_up([name], allow_run=False)
        except Exception:
            log.exception("recording the missed run of %s failed", name)


def _install_signal_handlers(scheduler: BlockingScheduler) -> dict[int, Any]:
    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        _RUNTIME.signals.append(signum)
        if len(_RUNTIME.signals) > 1:
            log.warning("%s again: stopping now; an unfinished send resumes on next start", name)
            os._exit(130)
        log.info("%s received: stopping; running jobs finish first (repeat to stop now)", name)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    previous: dict[int, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handle)
    return previous


def run_scheduler(
    app: App,
    *,
    once: bool = False,
    metrics_port: int | None = None,
    health_port: int | None = None,
) -> list[ScheduleRun]:
    """Run the scheduler until SIGTERM/SIGINT; with ``once``, settle what is due and return.

    ``metrics_port`` and ``health_port`` (else ``scheduler.metrics_port`` and
    ``scheduler.health_port``) open /metrics and /healthz on ``scheduler.listen_host``.
    """
    check_ready(app)
    runner = ScheduleRunner(app)
    _RUNTIME.runner = runner
    _RUNTIME.signals.clear()
    _RUNTIME.figures = ProcessFigures()
    if once:
        runner.ingest_if_stale()
        prepare_drafts(app)
        runs = runner.catch_up()
        resumed = runner.resume_open_sends()
        runner.ops_chores()
        return runs + resumed
    settings = app.config.scheduler
    try:
        endpoints = start_endpoints(
            app,
            _RUNTIME.figures,
            host=settings.listen_host,
            metrics_port=metrics_port if metrics_port is not None else settings.metrics_port,
            health_port=health_port if health_port is not None else settings.health_port,
            interval_seconds=settings.ingest_interval_minutes * 60,
        )
    except OpsHttpError as exc:
        raise ScheduleError(str(exc)) from None
    try:
        _run_blocking(app, runner)
    finally:
        endpoints.close()
    return []


def _run_blocking(app: App, runner: ScheduleRunner) -> None:
    scheduler = build_scheduler(app)
    _RUNTIME.scheduler = scheduler
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = _install_signal_handlers(scheduler) if in_main_thread else {}
    log.info(
        "scheduler started on %s (%s): %d segment job(s), ingest every %d min",
        runner.host,
        app.engine.url.render_as_string(hide_password=True),
        len(app.config.segments),
        app.config.scheduler.ingest_interval_minutes,
    )
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _RUNTIME.scheduler = None
    log.info("scheduler stopped")


def stored_jobs(app: App) -> list[tuple[str, float | None]]:
    """The job store's rows as (job id, next run as a UTC timestamp); empty before first start."""
    if not inspect(app.engine).has_table(JOBSTORE_TABLE):
        return []
    store = make_jobstore(app)
    with app.engine.connect() as conn:
        rows = conn.execute(
            store.jobs_t.select()
            .with_only_columns(store.jobs_t.c.id, store.jobs_t.c.next_run_time)
            .order_by(store.jobs_t.c.id)
        ).all()
    return [(str(job_id), next_run) for job_id, next_run in rows]
