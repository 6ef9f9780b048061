"""What a log line is about: the segment, edition and date of the work in progress.

``log_context(segment=…, edition=…)`` around a piece of work makes every record logged inside
it (in this thread or task) carry those fields; ``ContextFilter`` on the one handler of
``digest.logging_setup`` copies them onto each record, where the text and JSON formats show
them. A thread started inside inherits nothing by itself: start it with ``in_context(fn)``.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, TypeVar

_NONE: Mapping[str, Any] = MappingProxyType({})
_FIELDS: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "digest_log_context", default=_NONE
)
T = TypeVar("T")


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Attach ``fields`` (None values left out) to every record logged inside the block."""
    merged = {**_FIELDS.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _FIELDS.set(merged)
    try:
        yield
    finally:
        _FIELDS.reset(token)


def current_fields() -> Mapping[str, Any]:
    """The fields in effect here."""
    return _FIELDS.get()


def in_context(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` bound to a copy of the current context (for a new thread's target)."""
    ctx = contextvars.copy_context()

    def run(*args: Any, **kwargs: Any) -> T:
        return ctx.run(fn, *args, **kwargs)

    return run


class ContextFilter(logging.Filter):
    """Copies the context's fields onto each record (a field the call passed itself wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _FIELDS.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True
