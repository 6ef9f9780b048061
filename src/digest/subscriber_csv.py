"""Subscriber CSV: parse and validate rows (pure), and write rows for export.

Columns: email,name,locale,timezone,topics,segments — lists separated by ';'. A header
row is required. Every invalid row becomes a RowError naming its line and what is wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.addresses import InvalidAddress, normalise_address
from digest.config import SUPPORTED_LOCALES, Config
from digest.store.subscribers import SubscriberInput, SubscriberRecord

COLUMNS = ("email", "name", "locale", "timezone", "topics", "segments")
MAX_NAME_LENGTH = 300


class CsvError(Exception):
    """The file as a whole cannot be read (no header, wrong columns, not text)."""


class InvalidSubscriber(ValueError):
    """One subscriber's fields cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


@lru_cache(maxsize=1024)
def _valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def split_list(cell: str, separator: str = ";") -> tuple[str, ...]:
    """The non-empty, distinct items of a list cell, in order."""
    return tuple(dict.fromkeys(p.strip() for p in cell.split(separator) if p.strip()))


def check_subscriber(
    config: Config,
    email: str,
    *,
    name: str = "",
    locale: str = "",
    timezone: str = "",
    topics: tuple[str, ...] = (),
    segments: tuple[str, ...] = (),
) -> SubscriberInput:
    """One subscriber as an operator enters it (a CSV row, `digest subscribers add`).

    The address goes through the one address check; the locale defaults to the first chosen
    segment's (else the first configured segment's), the time zone to UTC. InvalidSubscriber
    names the first problem.
    """
    try:
        address = normalise_address(email)
    except InvalidAddress as exc:
        raise InvalidSubscriber(str(exc)) from None
    known_segments = {s.name: s for s in config.segments}
    chosen = [known_segments[s] for s in segments if s in known_segments]
    locale = locale or (chosen[0] if chosen else config.segments[0]).locale
    if locale not in SUPPORTED_LOCALES:
        raise InvalidSubscriber(
            f"unsupported locale {locale!r} (supported: {', '.join(SUPPORTED_LOCALES)})"
        )
    timezone = timezone or "UTC"
    if not _valid_timezone(timezone):
        raise InvalidSubscriber(f"unknown timezone {timezone!r}")
    bad_topics = [t for t in topics if t not in config.topics]
    if bad_topics:
        raise InvalidSubscriber(f"unknown topic(s) {', '.join(bad_topics)}")
    bad_segments = [s for s in segments if s not in known_segments]
    if bad_segments:
        raise InvalidSubscriber(f"unknown segment(s) {', '.join(bad_segments)}")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidSubscriber(f"name longer than {MAX_NAME_LENGTH} characters")
    return SubscriberInput(
        email=address,
        name=name,
        locale=locale,
        timezone=timezone,
        topics=topics,
        segments=segments,
    )


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
        cells = {name: row[i].strip() for name, i in idx.items()}
        try:
            yield check_subscriber(
                config,
                cells["email"],
                name=cells.get("name", ""),
                locale=cells.get("locale", ""),
                timezone=cells.get("timezone", ""),
                topics=split_list(cells.get("topics", "")),
                segments=split_list(cells.get("segments", "")),
            )
        except InvalidSubscriber as exc:
            yield RowError(line, str(exc))


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
