"""Subscriber CSV: parse and validate rows (pure), and write rows for export.

Columns: email,name,locale,timezone,topics,segments — lists separated by ';' — and, as
export writes it, status (ignored on import). A header row is required. Every invalid row
becomes a RowError naming its line and what is wrong; a row holding a control character, a
NUL or a bidirectional override in any cell is one (``digest.text_safety``).

Export writes each cell so that no spreadsheet runs it: a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'`` (which the importer removes
again), and control characters in old rows are written as visible escapes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.addresses import InvalidAddress, normalise_address
from digest.config import SUPPORTED_LOCALES, Config, Segment
from digest.store.subscribers import SubscriberInput, SubscriberRecord
from digest.text_safety import for_terminal, unsafe_character

COLUMNS = ("email", "name", "locale", "timezone", "topics", "segments")
# written by export, read and ignored by import (an import never changes a status)
IGNORED_COLUMNS = ("status",)
MAX_NAME_LENGTH = 300
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvError(Exception):
    """The file as a whole cannot be read (no header, wrong columns, not text)."""


class InvalidSubscriber(ValueError):
    """One subscriber's fields cannot be used; the message says which and why."""


class RowError(NamedTuple):
    """An invalid row: its line and what is wrong with it."""

    line: int
    message: str


class CsvRow(NamedTuple):
    """A valid row: its line and the subscriber it names (checked like any entry)."""

    line: int
    subscriber: SubscriberInput


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


def _refuse_unsafe_text(fields: Iterable[tuple[str, str]]) -> None:
    for field, value in fields:
        said = unsafe_character(value)
        if said:
            raise InvalidSubscriber(f"the {field} contains {said}")


@dataclass(frozen=True, slots=True)
class _Choices:
    """What a subscriber may choose under one config, looked up once per file, not per row."""

    segments: dict[str, Segment]
    topics: frozenset[str]
    default_locale: str

    @classmethod
    def of(cls, config: Config) -> _Choices:
        segments = {s.name: s for s in config.segments}
        return cls(segments, frozenset(config.topics), config.segments[0].locale)


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
    segment's (else the first configured segment's), the time zone to UTC. A control
    character, a NUL or a bidi override in any field is refused. InvalidSubscriber names
    the first problem.
    """
    if unsafe_character("".join((email, name, locale, timezone, *topics, *segments))):
        lists = (("topics", ";".join(topics)), ("segments", ";".join(segments)))
        _refuse_unsafe_text(
            (("email", email), ("name", name), ("locale", locale), ("timezone", timezone)) + lists
        )
    return _checked(_Choices.of(config), email, name, locale, timezone, topics, segments)


def _checked(
    choices: _Choices,
    email: str,
    name: str,
    locale: str,
    timezone: str,
    topics: tuple[str, ...],
    segments: tuple[str, ...],
) -> SubscriberInput:
    """``check_subscriber`` once its fields hold no unsafe character."""
    try:
        address = normalise_address(email)
    except InvalidAddress as exc:
        raise InvalidSubscriber(str(exc)) from None
    known = choices.segments
    if not locale:
        first = next((known[s] for s in segments if s in known), None)
        locale = first.locale if first is not None else choices.default_locale
    if locale not in SUPPORTED_LOCALES:
        raise InvalidSubscriber(
            f"unsupported locale {locale!r} (supported: {', '.join(SUPPORTED_LOCALES)})"
        )
    timezone = timezone or "UTC"
    if not _valid_timezone(timezone):
        raise InvalidSubscriber(f"unknown timezone {timezone!r}")
    bad_topics = [t for t in topics if t not in choices.topics]
    if bad_topics:
        raise InvalidSubscriber(f"unknown topic(s) {', '.join(bad_topics)}")
    bad_segments = [s for s in segments if s not in known]
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


def _unquote(cell: str) -> str:
    """A cell as written before export defused it (``'=x`` back to ``=x``)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell


def _header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("the file is empty; expected a header row: " + ",".join(COLUMNS)) from None
    except csv.Error as exc:
        raise CsvError(f"line 1: {exc}") from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "email" not in names:
        raise CsvError("line 1: header must name the columns: " + ",".join(COLUMNS))
    unknown = [n for n in names if n not in COLUMNS and n not in IGNORED_COLUMNS]
    if unknown:
        raise CsvError(
            f"line 1: unknown column(s) {', '.join(unknown)}; expected {','.join(COLUMNS)}"
        )
    return names


class _Rows:
    """Checks the rows of one file, remembering the list cells it already split."""

    def __init__(self, names: list[str], config: Config) -> None:
        self.names = names
        self.width = len(names)
        self.choices = _Choices.of(config)
        # a column the file lacks reads as the empty cell appended to every row
        self._cells = itemgetter(*[names.index(c) if c in names else self.width for c in COLUMNS])
        self._lists: dict[str, tuple[str, ...]] = {}

    def _list(self, cell: str) -> tuple[str, ...]:
        found = self._lists.get(cell)
        if found is None:
            found = split_list(cell)
            if len(self._lists) < 10_000:
                self._lists[cell] = found
        return found

    def check(self, line: int, row: list[str]) -> CsvRow | RowError:
        if len(row) != self.width:
            return RowError(line, f"expected {self.width} columns, found {len(row)}")
        if "'" in "".join(row):
            row = [_unquote(c) for c in row]
        if unsafe_character("".join(row)):
            for name, value in zip(self.names, row, strict=True):
                said = unsafe_character(value)
                if said:
                    return RowError(line, f"the {name} contains {said}")
        row.append("")
        email, name, locale, timezone, topics, segments = self._cells(row)
        try:  # the row holds no unsafe character: checked above, all cells at once
            entry = _checked(
                self.choices,
                email,
                name.strip(),
                locale.strip(),
                timezone.strip(),
                self._list(topics),
                self._list(segments),
            )
        except InvalidSubscriber as exc:
            return RowError(line, str(exc))
        return CsvRow(line, entry)


def parse_rows(lines: Iterable[str], config: Config) -> Iterator[CsvRow | RowError]:
    """Validate each data row; yields a CsvRow or a RowError (the line where it starts)."""
    reader = csv.reader(lines)
    rows = _Rows(_header(reader), config)
    while True:
        line = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(line, f"unreadable CSV: {exc}")
            continue
        if not row or not "".join(row).strip():
            continue
        yield rows.check(line, row)


def spreadsheet_safe(cell: str) -> str:
    """The cell with control characters escaped and a leading ``'`` if a spreadsheet would
    otherwise take it for a formula."""
    cell = for_terminal(cell)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_row(record: SubscriberRecord) -> list[str]:
    """The CSV cells for one subscriber (the import columns, then status)."""
    return [
        spreadsheet_safe(cell)
        for cell in (
            record.email,
            record.name,
            record.locale,
            record.timezone,
            ";".join(record.topics),
            ";".join(record.segments),
            record.status,
        )
    ]
