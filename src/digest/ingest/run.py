"""``ingest_sources``: fetch, parse and store every configured source; one bad source never
stops the others, and each gets a result naming what went wrong."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from digest.app import App
from digest.config import Source
from digest.ingest.errors import FeedError, FetchError, IngestError
from digest.ingest.fetch import Fetched, FetchSettings, fetch_http, make_client, read_local
from digest.ingest.parse import ParsedFeed, parse_feed
from digest.store.articles import upsert_articles
from digest.store.db import StoreError
from digest.store.feeds import (
    FeedState,
    feed_states,
    record_fetch_error,
    record_fetch_ok,
    record_not_modified,
)

log = logging.getLogger(__name__)
MAX_PARALLEL_FETCHES = 8


@dataclass(frozen=True, slots=True)
class SourceResult:
    """The outcome for one source."""

    name: str
    ok: bool
    error: str | None = None
    not_modified: bool = False
    items: int = 0  # items seen in the feed (stored or skipped)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: tuple[tuple[str, str], ...] = ()  # (item identifier, reason)
    warnings: tuple[str, ...] = ()
    kind: str | None = None  # rss20, atom10, json1.1, ...


@dataclass(frozen=True, slots=True)
class IngestReport:
    """The outcome of one ingest run, source by source in configuration order."""

    sources: tuple[SourceResult, ...]
    started_at: datetime

    @property
    def failed(self) -> tuple[SourceResult, ...]:
        """The sources that could not be ingested."""
        return tuple(s for s in self.sources if not s.ok)

    @property
    def ok(self) -> bool:
        """True when every source was ingested (or unchanged)."""
        return not self.failed

    @property
    def items(self) -> int:
        """Items seen across all sources."""
        return sum(s.items for s in self.sources)

    @property
    def inserted(self) -> int:
        """New articles stored across all sources."""
        return sum(s.inserted for s in self.sources)

    @property
    def updated(self) -> int:
        """Articles whose content changed, across all sources."""
        return sum(s.updated for s in self.sources)

    @property
    def unchanged(self) -> int:
        """Articles seen again without change, across all sources."""
        return sum(s.unchanged for s in self.sources)

    @property
    def skipped_count(self) -> int:
        """Items skipped across all sources."""
        return sum(len(s.skipped) for s in self.sources)


def select_sources(sources: Sequence[Source], only: Sequence[str] | None) -> list[Source]:
    """The configured sources named in ``only`` (all when None); IngestError for unknown names."""
    if only is None:
        return list(sources)
    known = {s.name: s for s in sources}
    unknown = [name for name in only if name not in known]
    if unknown:
        configured = ", ".join(known) or "none"
        raise IngestError(
            f"unknown source(s): {', '.join(unknown)}; configured sources: {configured}"
        )
    wanted = set(only)
    return [s for s in sources if s.name in wanted]


def _fetch(
    client: httpx.Client, source: Source, state: FeedState | None, settings: FetchSettings
) -> Fetched:
    if not source.is_remote:
        return read_local(source.url, settings.max_bytes)
    return fetch_http(
        client,
        source.url,
        settings,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
    )


def _failed(app: App, source: str, now: datetime, error: str) -> SourceResult:
    log.warning("source %s failed: %s", source, error, extra={"source": source})
    try:
        with app.engine.begin() as conn:
            record_fetch_error(conn, source, now=now, error=error)
    except SQLAlchemyError as exc:  # the failure itself is what gets reported
        log.error("could not record the failure of source %s: %s", source, exc)
    return SourceResult(name=source, ok=False, error=error)


def _store(
    app: App, source: Source, fetched: Fetched, feed: ParsedFeed, now: datetime
) -> SourceResult:
    with app.engine.begin() as conn:
        counts = upsert_articles(conn, feed.articles, now)
        # Validators are kept only when the whole feed was read: after a truncated read a
        # 304 next time would hide the items we could not take.
        record_fetch_ok(
            conn,
            source.name,
            now=now,
            etag=fetched.etag if feed.complete else None,
            last_modified=fetched.last_modified if feed.complete else None,
            items_seen=feed.items,
        )
    for warning in feed.warnings:
        log.warning("source %s: %s", source.name, warning, extra={"source": source.name})
    return SourceResult(
        name=source.name,
        ok=True,
        items=feed.items,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=feed.skipped,
        warnings=feed.warnings,
        kind=feed.kind,
    )


def _process(app: App, source: Source, outcome: Fetched | str, now: datetime) -> SourceResult:
    if isinstance(outcome, str):
        return _failed(app, source.name, now, outcome)
    if outcome.not_modified:
        with app.engine.begin() as conn:
            record_not_modified(
                conn, source.name, now=now, etag=outcome.etag, last_modified=outcome.last_modified
            )
        return SourceResult(name=source.name, ok=True, not_modified=True)
    try:
        feed = parse_feed(
            outcome.content or b"",
            source=source.name,
            content_type=outcome.content_type,
            now=now,
            words_per_minute=app.config.ingest.words_per_minute,
            base_url=outcome.final_url,
        )
    except FeedError as exc:
        return _failed(app, source.name, now, str(exc))
    except Exception as exc:  # a parser bug must not stop the other sources
        log.exception("source %s: unexpected error while reading the feed", source.name)
        return _failed(app, source.name, now, f"unexpected error reading the feed: {exc!r}")
    try:
        return _store(app, source, outcome, feed, now)
    except DBAPIError as exc:
        return _failed(app, source.name, now, f"database refused the articles: {exc.orig}")


def ingest_sources(
    app: App,
    only: Sequence[str] | None = None,
    *,
    on_result: Callable[[SourceResult], None] | None = None,
) -> IngestReport:
    """Fetch, parse, normalise and upsert every configured source (or those in ``only``).

    Never raises for a bad source: each result says ok or names the reason, and goes to
    ``on_result`` as soon as its source is done (for progress displays). Raises IngestError
    for an unknown name in ``only`` and StoreError if the database is unusable.
    """
    now = app.clock()
    sources = select_sources(app.config.sources, only)
    if not sources:
        return IngestReport(sources=(), started_at=now)
    cfg = app.config.ingest
    settings = FetchSettings(cfg.timeout_seconds, cfg.max_bytes, cfg.user_agent)
    try:
        with app.engine.connect() as conn:
            states = feed_states(conn, [s.name for s in sources])
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read feed state from the database: {exc}") from None
    results: dict[str, SourceResult] = {}
    with (
        make_client(settings) as client,
        ThreadPoolExecutor(
            max_workers=min(MAX_PARALLEL_FETCHES, len(sources)), thread_name_prefix="ingest-fetch"
        ) as pool,
    ):
        futures: dict[Future[Fetched], Source] = {
            pool.submit(_fetch, client, s, states.get(s.name), settings): s for s in sources
        }
        for future in as_completed(futures):
            source = futures[future]
            try:
                outcome: Fetched | str = future.result()
            except FetchError as exc:
                outcome = str(exc)
            except Exception as exc:  # an unforeseen transport failure is this source's only
                log.exception("source %s: unexpected error while fetching", source.name)
                outcome = f"unexpected error fetching: {exc!r}"
            results[source.name] = _process(app, source, outcome, now)
            if on_result is not None:
                on_result(results[source.name])
    return IngestReport(sources=tuple(results[s.name] for s in sources), started_at=now)
