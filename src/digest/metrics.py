"""Prometheus metrics: the ledger's figures, read from the database at scrape time.

``build_registry(app)`` returns a fresh ``CollectorRegistry`` (never the global one, nothing
at import) holding ``DatabaseCollector``: every scrape reads the ledger, the engagement
counts, the sources' fetch counts and the scheduler's decisions, so the counters equal what
``digest status`` shows and survive restarts of the process that serves them. A process
adds its own live figures (the scheduler's ticks) with ``ProcessFigures``.

``render(registry)`` gives the text exposition format served on ``/metrics``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector, CollectorRegistry

if TYPE_CHECKING:
    from digest.app import App

log = logging.getLogger("digest.metrics")

Labels = TypeVar("Labels", bound=tuple[str, ...])  # one value per label of a family

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the classic text format every Prometheus reads
OPEN_EDITION_STATES = ("draft", "approved", "held", "sending", "paused")
RECIPIENT_OUTCOMES = ("sent", "failed", "suppressed")  # never go down: counters
RECIPIENT_GAUGES = ("unknown", "pending", "held", "in_flight")  # come and go


def render(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text exposition format."""
    return generate_latest(registry)


def build_registry(app: App, *extra: Collector) -> CollectorRegistry:
    """A registry for this App: the database figures plus any process collectors given."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(app))
    for collector in extra:
        registry.register(collector)
    return registry


class DatabaseCollector(Collector):
    """Reads every figure from the database when scraped; reports the database down if not."""

    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("digest_database_up", "1 when the database answered this scrape")
        seconds = GaugeMetricFamily(
            "digest_scrape_database_seconds", "Time spent reading the figures for this scrape"
        )
        started = time.perf_counter()
        try:
            families = self._read()
        except Exception as exc:  # a scrape must still answer, saying the database did not
            log.error("metrics: reading the database failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        seconds.add_metric([], time.perf_counter() - started)
        yield up
        yield seconds
        yield from families

    def _read(self) -> list[Metric]:
        from digest.send.workers import is_dead_worker
        from digest.store import engagement, ledger_totals, monitoring
        from digest.store.subscriptions import count_suppressions

        app = self.app
        now = app.clock()
        with app.engine.begin() as conn:  # begin: a newly finished edition's summary is kept
            editions = ledger_totals.ledgers(conn, now=now, is_dead=is_dead_worker)
            oldest = ledger_totals.oldest_due_batch(conn, now)
            answers = monitoring.provider_answers(conn)
            applied = engagement.applied_event_totals(conn)
            runs = monitoring.schedule_outcomes(conn)
            sources = monitoring.source_figures(conn, [s.name for s in app.config.sources])
            subscribers = monitoring.subscribers_by_status(conn)
            suppressions = count_suppressions(conn)
            open_editions = _open_editions(conn)
            alerts = _open_alerts(app, conn, now)
        out: list[Metric] = []
        out += _ledger_families(editions)
        age = GaugeMetricFamily(
            "digest_oldest_pending_batch_age_seconds",
            "How long the oldest due, unclaimed batch of a sending edition has waited (0: none)",
        )
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        out.append(age)
        out.append(
            _family(
                CounterMetricFamily,
                "digest_provider_answers",
                "Provider answers to send requests, by transport and status code",
                ["transport", "code"],
                answers,
            )
        )
        out.append(
            _family(
                CounterMetricFamily,
                "digest_provider_events_applied",
                "Provider webhook events applied (each stored once), by event",
                ["event"],
                {(k,): v for k, v in applied.items()},
            )
        )
        out += _source_families(sources)
        out.append(
            _family(
                CounterMetricFamily,
                "digest_scheduler_runs",
                "Scheduler decisions recorded, by segment and outcome",
                ["segment", "outcome"],
                runs,
            )
        )
        out.append(
            _family(
                GaugeMetricFamily,
                "digest_editions_open",
                "Editions not finished yet, by segment and state",
                ["segment", "state"],
                open_editions,
            )
        )
        out.append(
            _family(
                GaugeMetricFamily,
                "digest_subscribers",
                "Subscribers by status",
                ["status"],
                {(k,): v for k, v in subscribers.items()},
            )
        )
        out.append(
            _family(
                GaugeMetricFamily,
                "digest_suppressions",
                "Suppressed addresses by reason",
                ["reason"],
                {(k,): v for k, v in suppressions.items()},
            )
        )
        out.append(
            _family(
                GaugeMetricFamily,
                "digest_alerts_open",
                "Alerts nobody acknowledged whose edition still needs ops, by kind",
                ["kind"],
                alerts,
            )
        )
        return out


def _family(
    kind: Any, name: str, doc: str, labels: list[str], values: Mapping[Labels, int]
) -> Metric:
    family = kind(name, doc, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), value)
    return family


def _ledger_families(editions: list[Any]) -> list[Metric]:
    """Recipients and batches summed per segment over every planned edition."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    batches: dict[tuple[str, str], int] = defaultdict(int)
    for e in editions:
        seg = totals[e.segment]
        counts = e.counts.as_dict()
        for key in ("recipients", *RECIPIENT_OUTCOMES, *RECIPIENT_GAUGES):
            seg[key] += int(counts[key])
        for status, n in e.batches.items():
            batches[(e.segment, status)] += n
    recipients = CounterMetricFamily(
        "digest_recipients",
        "Recipients of every edition by outcome in the send ledger (sent, failed, suppressed)",
        labels=["segment", "outcome"],
    )
    planned = CounterMetricFamily(
        "digest_recipients_planned", "Recipients planned in the send ledger", labels=["segment"]
    )
    gauges = {
        key: GaugeMetricFamily(
            f"digest_recipients_{key}",
            f"Recipients whose delivery is {key.replace('_', ' ')} in the send ledger",
            labels=["segment"],
        )
        for key in RECIPIENT_GAUGES
    }
    for segment in sorted(totals):
        seg = totals[segment]
        planned.add_metric([segment], seg["recipients"])
        for outcome in RECIPIENT_OUTCOMES:
            recipients.add_metric([segment, outcome], seg[outcome])
        for key, family in gauges.items():
            family.add_metric([segment], seg[key])
    batch_family = _family(
        GaugeMetricFamily,
        "digest_batches",
        "Send batches by segment and status",
        ["segment", "status"],
        dict(batches),
    )
    return [recipients, planned, *gauges.values(), batch_family]


def _source_families(sources: list[Any]) -> list[Metric]:
    items = CounterMetricFamily(
        "digest_ingest_items", "Articles stored from each source", labels=["source"]
    )
    fetches = CounterMetricFamily(
        "digest_ingest_fetches", "Fetches of each source", labels=["source"]
    )
    errors = CounterMetricFamily(
        "digest_ingest_errors", "Failed fetches or reads of each source", labels=["source"]
    )
    for s in sources:
        items.add_metric([s.source], s.articles)
        fetches.add_metric([s.source], s.fetches)
        errors.add_metric([s.source], s.errors)
    return [items, fetches, errors]


def _open_editions(conn: Any) -> dict[tuple[str, str], int]:
    from sqlalchemy import func, select

    from digest.store.schema import EditionRow

    rows = conn.execute(
        select(EditionRow.segment, EditionRow.status, func.count())
        .where(EditionRow.status.in_(OPEN_EDITION_STATES))
        .group_by(EditionRow.segment, EditionRow.status)
    )
    return {(str(s), str(st)): int(n) for s, st, n in rows}


def _open_alerts(app: App, conn: Any, now: Any) -> dict[tuple[str], int]:
    from digest.alerts import AlertKind, alert_view
    from digest.store.alerts import alerts_since

    since = now - timedelta(days=app.config.alerts.show_days)
    counts = {(k.value,): 0 for k in AlertKind}
    for record in alerts_since(conn, since):
        if not alert_view(record).resolved:
            counts[(record.kind,)] += 1
    return counts


@dataclass(eq=False)  # compared (and hashed, by the registry) by identity
class ProcessFigures(Collector):
    """Live figures of one long-running process (the scheduler): its ticks and their end."""

    name: str = "scheduler"
    started: float = field(default_factory=time.time)
    ticks: int = 0
    tick_errors: int = 0
    last_tick_started: float | None = None
    last_tick_finished: float | None = None

    def tick_started(self) -> None:
        self.last_tick_started = time.time()

    def tick_finished(self, ok: bool) -> None:
        self.ticks += 1
        if not ok:
            self.tick_errors += 1
        self.last_tick_finished = time.time()

    def collect(self) -> Iterator[Metric]:
        p = f"digest_{self.name}"
        started = GaugeMetricFamily(f"{p}_start_time_seconds", "When this process started")
        started.add_metric([], self.started)
        ticks = CounterMetricFamily(f"{p}_ticks", "Ticks finished by this process")
        ticks.add_metric([], self.ticks)
        errors = CounterMetricFamily(f"{p}_tick_errors", "Ticks of this process that failed")
        errors.add_metric([], self.tick_errors)
        last = GaugeMetricFamily(
            f"{p}_last_tick_timestamp_seconds", "When the last tick finished (0: none yet)"
        )
        last.add_metric([], self.last_tick_finished or 0.0)
        yield from (started, ticks, errors, last)
