"""Operators' subscriber use cases: add one reader, import many from a CSV file, export.

Both take subscribers checked by ``digest.subscriber_csv.check_subscriber`` (the one address
check among them) and upsert them: a new reader is active at once (the operator vouches for
their consent, recorded with the source), a known one has their details and segments
replaced, and nobody who left (unsubscribed, bounced, complained) is ever re-subscribed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from digest.app import App
from digest.store.subscriber_import import StagedRow, import_staged_rows, topics_json
from digest.store.subscribers import (
    SubscriberInput,
    iter_subscribers_for_export,
    subscriber_by_email,
    upsert_subscribers,
)
from digest.store.subscriptions import suppression_for
from digest.subscriber_csv import COLUMNS, CsvError, RowError, export_row, parse_rows

PROGRESS_EVERY = 1000  # rows between two progress calls


class AddOutcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"


@dataclass(frozen=True, slots=True)
class AddReport:
    """What adding one reader did, and whether they will get mail."""

    email: str
    outcome: AddOutcome
    status: str  # the subscriber's status after the add (active, unsubscribed, …)
    segments: tuple[str, ...]
    suppressed: str | None  # the suppression reason, when the address is suppressed

    @property
    def receives_mail(self) -> bool:
        """True when the reader is active and not suppressed."""
        return self.status == "active" and self.suppressed is None


def add_subscriber(app: App, entry: SubscriberInput, source: str = "cli") -> AddReport:
    """Add or update one reader (``entry`` already checked)."""
    now = app.clock()
    with app.engine.begin() as conn:
        result = upsert_subscribers(conn, [entry], now, source=source)
        record = subscriber_by_email(conn, entry.email)
        suppression = suppression_for(conn, entry.email)
    assert record is not None  # just upserted in this transaction
    return AddReport(
        email=entry.email,
        outcome=AddOutcome.ADDED if result.inserted else AddOutcome.UPDATED,
        status=record.status,
        segments=record.segments,
        suppressed=suppression.reason if suppression else None,
    )


@dataclass
class ImportReport:
    """What one CSV import did: subscribers new, updated and unchanged; rows skipped."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0  # data rows read, valid or not
    invalid: list[RowError] = field(default_factory=list)  # in file order
    duplicates: list[RowError] = field(default_factory=list)  # the first ones, by line
    duplicate_count: int = 0

    @property
    def imported(self) -> int:
        """Rows that name a subscriber now stored as the file has them."""
        return self.inserted + self.updated + self.unchanged

    @property
    def skipped(self) -> int:
        """Rows left out: invalid, or repeating an address an earlier line had."""
        return len(self.invalid) + self.duplicate_count


class _Lists:
    """Topics as stored JSON and segments sorted, once per distinct list a file holds."""

    def __init__(self) -> None:
        self._topics: dict[tuple[str, ...], str] = {}
        self._segments: dict[tuple[str, ...], tuple[str, ...]] = {}

    def topics(self, values: tuple[str, ...]) -> str:
        found = self._topics.get(values)
        if found is None:
            found = self._topics[values] = topics_json(values)
        return found

    def segments(self, values: tuple[str, ...]) -> tuple[str, ...]:
        found = self._segments.get(values)
        if found is None:
            found = self._segments[values] = tuple(sorted(values))
        return found


def _position(raw: Any) -> int:
    try:
        return int(raw.tell())
    except OSError:  # a pipe has no position
        return 0


def import_subscribers(
    app: App,
    path: Path,
    *,
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Upsert every valid row of the CSV at ``path``, all in one transaction.

    Rows stream into a staging table and are merged set by set (``store.subscriber_import``):
    memory stays flat, and an import that fails, is interrupted or is killed changes nothing.
    Invalid rows and repeated addresses (the first row counts) are reported (``on_error``)
    and skipped; ``on_progress(rows, bytes_read)`` follows the file. Raises CsvError for a
    file that cannot be read as a whole (no header, not UTF-8 …).
    """
    report = ImportReport()
    lists = _Lists()

    def staged(raw: Any, text: Iterable[str]) -> Iterator[StagedRow]:
        for item in parse_rows(text, app.config):
            report.rows += 1
            if on_progress is not None and report.rows % PROGRESS_EVERY == 0:
                on_progress(report.rows, _position(raw))
            if isinstance(item, RowError):
                report.invalid.append(item)
                if on_error is not None:
                    on_error(item)
                continue
            sub = item.subscriber
            yield StagedRow(
                item.line,
                sub.email,
                sub.name,
                sub.locale,
                sub.timezone,
                lists.topics(sub.topics),
                lists.segments(sub.segments),
            )

    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
            with app.engine.begin() as conn:
                merged = import_staged_rows(
                    conn, staged(raw, text), now=app.clock(), source=f"csv-import:{path}"
                )
            if on_progress is not None:
                on_progress(report.rows, _position(raw))
    except UnicodeDecodeError as exc:
        raise CsvError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    report.inserted, report.updated, report.unchanged = merged.new, merged.updated, merged.unchanged
    report.duplicate_count = merged.duplicates
    report.duplicates = [
        RowError(line, f"the same address as line {first}")
        for line, first in merged.duplicate_lines
    ]
    if on_error is not None:
        for duplicate in report.duplicates:
            on_error(duplicate)
    return report


def export_subscribers(app: App) -> Iterator[list[str]]:
    """The header and one row per subscriber, cells safe for spreadsheets and terminals."""
    yield [*COLUMNS, "status"]
    with app.engine.connect() as conn:
        for record in iter_subscribers_for_export(conn):
            yield export_row(record)
