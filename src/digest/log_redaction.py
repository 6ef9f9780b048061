"""Masks credentials and link tokens in every log record, whatever its level or source.

Libraries log what they like: python_http_client dumps its request headers, API key
included, at DEBUG; uvicorn's access log prints each path, and the paths behind the links in
our emails carry year-long signed tokens. ``RedactingFilter`` rewrites a record's message
and arguments before any handler formats it:

- an ``Authorization`` value (``Bearer``/``Basic``/``Token`` or bare), a ``Bearer …`` or
  ``Basic …`` credential anywhere, and SendGrid API keys (``SG.….…``) become ``***``;
- the token in ``/u/…``, ``/p/…`` and ``/c/…`` paths (the signed links) becomes ``***``.

``install_redaction()`` puts the filter on every handler of the root logger (and of any
logger named), which is where it must sit: a filter on a logger misses the records its
children propagate. Call it after the handlers are set up; it is idempotent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

_AUTH_VALUE = re.compile(
    r"""(?P<head>\bauthorization\b['"]?\s*[:=]\s*['"]?)"""
    r"""(?P<scheme>(?:bearer|basic|token)\s+)?[^'"\s,;}\]]+""",
    re.IGNORECASE,
)
_SCHEME_CREDENTIAL = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_SENDGRID_KEY = re.compile(r"\bSG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_LINK_TOKEN = re.compile(r"""(?P<head>(?:^|[\s"'(<=]|https?://[^/\s"'<>]+)/[upc]/)[^\s?#"'<>/]+""")


def redact(text: str) -> str:
    """``text`` with credentials and link tokens replaced by ``***``."""
    if not text:
        return text
    text = _AUTH_VALUE.sub(lambda m: f"{m['head']}{m['scheme'] or ''}{MASK}", text)
    text = _SCHEME_CREDENTIAL.sub(lambda m: f"{m['scheme']} {MASK}", text)
    text = _SENDGRID_KEY.sub(f"SG.{MASK}", text)
    return _LINK_TOKEN.sub(lambda m: f"{m['head']}{MASK}", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    shown = str(value)
    masked = redact(shown)
    return value if masked == shown else masked


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and arguments with ``redact``; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif record.msg is not None and not isinstance(record.msg, int | float):
            shown = str(record.msg)
            masked = redact(shown)
            if masked != shown:
                record.msg = masked
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(*logger_names: str) -> None:
    """Add the filter to every handler of the root logger and of the named loggers."""
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in logger_names)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
