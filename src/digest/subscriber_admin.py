"""Operators' subscriber use cases: add one reader, import many from a CSV file.

Both take subscribers checked by ``digest.subscriber_csv.check_subscriber`` (the one address
check among them) and upsert them: a new reader is active at once (the operator vouches for
their consent, recorded with the source), a known one has their details and segments
replaced, and nobody who left (unsubscribed, bounced, complained) is ever re-subscribed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from digest.app import App
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from digest.store.subscriptions import suppression_for
from digest.subscriber_csv import CsvError, RowError, parse_rows

IMPORT_CHUNK = 5000
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
    """Counts of one CSV import and its invalid rows (in file order)."""

    inserted: int = 0
    updated: int = 0
    rows: int = 0  # data rows read, valid or not
    invalid: list[RowError] = field(default_factory=list)


def import_subscribers(
    app: App,
    path: Path,
    *,
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Upsert every valid row of the CSV at ``path`` in chunks; invalid rows are reported
    (``on_error``) and skipped. ``on_progress(rows, bytes_read)`` follows the file.

    Raises CsvError for a file that cannot be read as a whole (no header, not UTF-8 …).
    """
    report = ImportReport()
    chunk: list[SubscriberInput] = []
    source = f"csv-import:{path}"

    def flush() -> None:
        if chunk:
            with app.engine.begin() as conn:
                result = upsert_subscribers(conn, chunk, app.clock(), source=source)
            report.inserted += result.inserted
            report.updated += result.updated
            chunk.clear()

    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
            for item in parse_rows(text, app.config):
                report.rows += 1
                if on_progress is not None and report.rows % PROGRESS_EVERY == 0:
                    on_progress(report.rows, raw.tell())
                if isinstance(item, RowError):
                    report.invalid.append(item)
                    if on_error is not None:
                        on_error(item)
                    continue
                chunk.append(item)
                if len(chunk) >= IMPORT_CHUNK:
                    flush()
            flush()
            if on_progress is not None:
                on_progress(report.rows, raw.tell())
    except UnicodeDecodeError as exc:
        raise CsvError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return report
