"""The one logging set-up of every digest process: the CLI, ``digest serve``, the scheduler.

``configure_logging(level, fmt)`` sends every record at ``level`` or above to stderr, as text
(``2026-01-30T07:00:01.123Z WARNING digest.ingest: source x failed: … [segment=markets-en]``)
or as JSON, one object a line: ``timestamp``, ``level``, ``logger``, ``message``, the context
fields in ``CONTEXT_FIELDS`` a caller passed with ``extra=`` (``edition``, ``segment`` …), and
``exception`` when there is a traceback. Third-party libraries speak only from WARNING up
unless the level is DEBUG. Calling it again replaces the previous set-up; the returned
function puts back what was there before.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from digest.log_context import ContextFilter
from digest.log_redaction import RedactingFilter

LEVELS = ("debug", "info", "warning", "error", "critical")
FORMATS = ("text", "json")
# One-shot commands print their own report; their logs are for trouble. Services log more.
QUIET_LEVEL = "error"
SERVICE_LEVEL = "info"
# Fields a log call may attach with extra={...}; shown in both formats when present.
CONTEXT_FIELDS = ("segment", "edition", "edition_date", "source", "worker", "batch", "request_id")
# Libraries whose INFO chatter is not ours to show.
LIBRARY_LOGGERS = ("apscheduler", "alembic", "httpx", "httpcore", "urllib3", "asyncio", "sendgrid")
_OWN = "_digest_handler"


def _timestamp(record: logging.LogRecord) -> str:
    when = datetime.fromtimestamp(record.created, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in CONTEXT_FIELDS if getattr(record, k, None) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(_context(record))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``timestamp LEVEL logger: message [key=value …]`` and the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{k}={v}" for k, v in _context(record).items())
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if context:
            line += f" [{context}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def make_formatter(fmt: str) -> logging.Formatter:
    """The formatter for ``fmt`` ('text' or 'json')."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return JsonFormatter() if fmt == "json" else TextFormatter()


def configure_logging(level: str = QUIET_LEVEL, fmt: str = "text") -> Callable[[], None]:
    """Send records at ``level`` and above to stderr in ``fmt``; returns an undo function."""
    name = level.lower()
    if name not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    numeric = logging.getLevelName(name.upper())
    root = logging.getLogger()
    saved_level = root.level
    saved_libraries = {n: logging.getLogger(n).level for n in LIBRARY_LOGGERS}
    previous = [h for h in root.handlers if getattr(h, _OWN, False)]
    for handler in previous:
        root.removeHandler(handler)
    handler = StderrHandler()
    setattr(handler, _OWN, True)
    handler.setFormatter(make_formatter(fmt))
    handler.addFilter(ContextFilter())  # segment, edition … of the work in progress
    handler.addFilter(RedactingFilter())  # no credential or link token, at any level
    handler.setLevel(numeric)  # records propagated from loggers with their own level, too
    root.addHandler(handler)
    root.setLevel(numeric)
    library_level = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for lib in LIBRARY_LOGGERS:
        logging.getLogger(lib).setLevel(library_level)

    def undo() -> None:
        root.removeHandler(handler)
        for old in previous:
            root.addHandler(old)
        root.setLevel(saved_level)
        for lib, lib_level in saved_libraries.items():
            logging.getLogger(lib).setLevel(lib_level)

    return undo
