"""What to do when a transport fails a request: a pure policy, tested as a table.

The sender's loop applies the decision and holds no decisions of its own. Inputs are the
classified error (``Failure``), how often this part was tried (``Tries``) and the limits of
the transport and config (``Limits``); no clock, no threads, no database.

    fatal (bad key, forbidden, invalid message)         → STOP
    the request may have reached the provider           → UNKNOWN (never re-sent blindly)
    the provider named the recipients it refuses        → REJECT them, retry the rest
    a batch-level refusal the provider would not name   → SPLIT in halves (one alone: FAIL)
    temporary (429, 5xx, no connection), tries left     → RETRY after Retry-After or backoff
    temporary, tries used up:
        nothing accepted for outage_after_seconds       → OUTAGE (stop; nobody failed)
        set aside set_aside_rounds times while others
        went through                                   → FAIL this batch alone
        else                                            → SET_ASIDE (pending, later)
    anything else (a permanent refusal)                 → FAIL
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What the sender does with the part that failed."""

    STOP = "stop"
    UNKNOWN = "unknown"
    REJECT = "reject"
    SPLIT = "split"
    RETRY = "retry"
    OUTAGE = "outage"
    SET_ASIDE = "set_aside"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Failure:
    """A transport error as the policy sees it."""

    retryable: bool = False
    fatal: bool = False
    outcome_unknown: bool = False
    rejected: bool = False  # the provider named the recipients it refuses
    splittable: bool = False
    status: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Tries:
    """How this part has fared so far."""

    part_size: int
    retries: int = 0  # earlier retries after a 5xx or a dropped connection
    waits: int = 0  # earlier waits after a 429
    rounds: int = 0  # times this batch already outlasted its retries (set aside)
    quiet_seconds: float = 0.0  # since the provider last accepted anything from this process
    accepted_since_set_aside: bool = False  # others went through since it was first set aside


@dataclass(frozen=True, slots=True)
class Limits:
    """The transport's and the configuration's bounds."""

    max_retries: int
    outage_after_seconds: float
    set_aside_rounds: int = 3
    min_429_waits: int = 10


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict, and for RETRY how long to wait: ``retry_after`` when the provider said,
    else the backoff delay of step ``backoff_step``; ``counts_as_wait`` for a 429."""

    verdict: Verdict
    retry_after: float | None = None
    backoff_step: int = 0
    counts_as_wait: bool = False


def decide(failure: Failure, tries: Tries, limits: Limits) -> Decision:
    """The one place that decides what a failed request leads to (pure)."""
    if failure.fatal:
        return Decision(Verdict.STOP)
    if failure.outcome_unknown:
        return Decision(Verdict.UNKNOWN)
    if failure.rejected:
        return Decision(Verdict.REJECT)
    if failure.splittable and tries.part_size > 1:
        return Decision(Verdict.SPLIT)
    if not failure.retryable:
        return Decision(Verdict.FAIL)
    if failure.status == 429:
        if tries.waits < max(limits.min_429_waits, limits.max_retries):
            step = tries.retries + tries.waits
            return Decision(Verdict.RETRY, failure.retry_after, step, counts_as_wait=True)
    elif tries.retries < limits.max_retries:
        return Decision(Verdict.RETRY, failure.retry_after, tries.retries + tries.waits)
    return Decision(_exhausted(tries, limits))


def _exhausted(tries: Tries, limits: Limits) -> Verdict:
    """A temporary failure outlasted every retry: the provider is down, or this batch is."""
    if tries.quiet_seconds >= limits.outage_after_seconds:
        return Verdict.OUTAGE
    if tries.rounds + 1 >= limits.set_aside_rounds and tries.accepted_since_set_aside:
        return Verdict.FAIL
    return Verdict.SET_ASIDE
