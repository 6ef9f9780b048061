"""Subscriber CSV: parse and validate rows (pure), and write rows for export.

Columns: email,name,locale,timezone,topics,segments — lists separated by ';'. A header
row is required. Every invalid row becomes a RowError naming its line and what is wrong.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config import SUPPORTED_LOCALES, Config
from digest.store.subscribers import SubscriberInput, SubscriberRecord

COLUMNS = ("email", "name", "locale", "timezone", "topics", "segments")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class CsvError(Exception):
    """The file as a whole cannot be read (no header, wrong columns, not text)."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


def normalise_email(raw: str) -> str | None:
    """The address lower-cased and trimmed, or None if it is not a plausible address."""
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        return None
    return email


@lru_cache(maxsize=1024)
def _valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def _split(cell: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in cell.split(";") if p.strip()))


def parse_rows(lines: Iterable[str], config: Config) -> Iterator[SubscriberInput | RowError]:
    """Validate each data row; yields a SubscriberInput or a RowError (line numbers 1-based)."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("the file is empty; expected a header row: " + ",".join(COLUMNS)) from None
    except csv.Error as exc:
        raise CsvError(f"line 1: {exc}") from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "email" not in names:
        raise CsvError("line 1: header must name the columns: " + ",".join(COLUMNS))
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise CsvError(
            f"line 1: unknown column(s) {', '.join(unknown)}; expected {','.join(COLUMNS)}"
        )
    idx = {n: i for i, n in enumerate(names)}
    segments = {s.name for s in config.segments}
    topics = set(config.topics)
    default_locale = config.segments[0].locale
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(reader.line_num, f"unreadable CSV: {exc}")
            continue
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(names):
            yield RowError(line, f"expected {len(names)} columns, found {len(row)}")
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = idx.get(name)
            return row[i].strip() if i is not None else ""

        email = normalise_email(cell("email"))
        if email is None:
            yield RowError(line, f"invalid email address {cell('email')!r}")
            continue
        locale = cell("locale") or default_locale
        if locale not in SUPPORTED_LOCALES:
            yield RowError(
                line, f"unsupported locale {locale!r} (supported: {', '.join(SUPPORTED_LOCALES)})"
            )
            continue
        tz = cell("timezone") or "UTC"
        if not _valid_timezone(tz):
            yield RowError(line, f"unknown timezone {tz!r}")
            continue
        row_topics = _split(cell("topics"))
        bad_topics = [t for t in row_topics if t not in topics]
        if bad_topics:
            yield RowError(line, f"unknown topic(s) {', '.join(bad_topics)}")
            continue
        row_segments = _split(cell("segments"))
        bad_segments = [s for s in row_segments if s not in segments]
        if bad_segments:
            yield RowError(line, f"unknown segment(s) {', '.join(bad_segments)}")
            continue
        name = cell("name")
        if len(name) > 300:
            yield RowError(line, "name longer than 300 characters")
            continue
        yield SubscriberInput(
            email=email,
            name=name,
            locale=locale,
            timezone=tz,
            topics=row_topics,
            segments=row_segments,
        )


def export_row(record: SubscriberRecord) -> list[str]:
    """The CSV cells for one subscriber (the import columns, then status)."""
    return [
        record.email,
        record.name,
        record.locale,
        record.timezone,
        ";".join(record.topics),
        ";".join(record.segments),
        record.status,
    ]
