"""What to do with a push service's answer (pure; a table, tested as one).

201/202 sent · 404/410 gone (delete the subscription) · 413 shrink the payload and post
again · 429 wait for Retry-After (the whole push service) · 5xx, timeouts and dropped
connections try again later with a growing backoff, failed after ``max_attempts`` ·
any other 4xx (a refused VAPID token, a malformed request) failed at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

DEFAULT_RETRY_AFTER = 30.0
MAX_RETRY_AFTER = 3600.0
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0


class Verdict(StrEnum):
    SENT = "sent"
    GONE = "gone"
    SHRINK = "shrink"
    THROTTLED = "throttled"  # 429: pause this push service, try the push again after
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    delay: float = 0.0  # seconds before the push may be tried again
    reason: str | None = None


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try: 2, 4, 8 … at most 5 minutes."""
    return min(BACKOFF_CAP, BACKOFF_BASE ** max(1, attempts))


def retry_after_seconds(value: str | None, now: datetime) -> float:
    """A Retry-After header (seconds or an HTTP date) as seconds, within sane bounds."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(MAX_RETRY_AFTER, max(1.0, seconds))


def decide(
    status: int | None,
    *,
    attempts: int,
    max_attempts: int,
    retry_after: str | None = None,
    now: datetime,
    error: str | None = None,
) -> Decision:
    """The decision for one answer; ``status`` None means no answer (timeout, dropped).

    ``attempts`` counts this try.
    """
    if status in (200, 201, 202):
        return Decision(Verdict.SENT)
    if status in (404, 410):
        return Decision(Verdict.GONE, reason=f"push service answered {status}: subscription gone")
    if status == 413:
        return Decision(Verdict.SHRINK, reason="push service answered 413: payload too large")
    if status == 429:
        return Decision(
            Verdict.THROTTLED,
            retry_after_seconds(retry_after, now),
            "push service answered 429: too many requests",
        )
    temporary = status is None or status >= 500
    reason = error if status is None else f"push service answered {status}"
    if temporary and attempts < max_attempts:
        return Decision(Verdict.RETRY, backoff(attempts), reason)
    if temporary:
        return Decision(Verdict.FAILED, reason=f"{reason} (gave up after {attempts} tries)")
    return Decision(Verdict.FAILED, reason=reason)


def later(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
