"""Delivering one claimed batch: send, split and retry as the policy decides.

``BatchAttempts.deliver`` is the loop that applies ``policy.decide`` to every failure of a
request; it holds no decision of its own. It never re-sends blindly: a request whose
answer was lost leaves its recipients ``unknown``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from digest.send.policy import Decision, Failure, Limits, Tries, Verdict, decide
from digest.send.ports import Settlement
from digest.send.report import Tally
from digest.send.throttle import RateLimiter
from digest.send.transports.base import (
    BatchOutcome,
    OutgoingMessage,
    SendRow,
    Transport,
    TransportError,
    deliver_rows,
)


@dataclass
class BatchResult:
    """What became of one batch's recipients (filled while it is delivered)."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)
    unsent: list[SendRow] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    error: str | None = None
    fatal: TransportError | None = None
    set_aside: str | None = None  # why the unsent go back to pending for a later round
    pause: float = 0.0  # seconds this thread waits before its next claim
    answers: Counter[str] = field(default_factory=Counter)  # status code -> requests
    transport: str = ""

    def absorb(self, outcome: BatchOutcome) -> None:
        """Take what the provider said about a request."""
        self.sent.extend(outcome.accepted)
        self.failed.update(outcome.failed)
        self.unknown.extend(outcome.unknown)
        if outcome.provider_message_id:
            self.message_ids.append(outcome.provider_message_id)

    def absorb_partial(
        self, partial: BatchOutcome | None, part: Sequence[SendRow]
    ) -> list[SendRow]:
        """Take what a failing transport settled; the recipients still open."""
        if partial is None:
            return list(part)
        self.absorb(partial)
        settled = set(partial.accepted) | set(partial.failed) | set(partial.unknown)
        return [i for i in part if i.subscriber_id not in settled]

    def settlement(self) -> Settlement:
        """The frozen outcome the ledger commits."""
        reason = self.fatal.reason if self.fatal is not None else self.set_aside
        return Settlement(
            sent=self.sent,
            failed=self.failed,
            unknown=self.unknown,
            unsent=len(self.unsent),
            provider_message_id=",".join(self.message_ids) or None,
            error=self.error,
            release_reason=reason,
            answers=dict(self.answers),
            transport=self.transport,
        )


@dataclass
class BatchAttempts:
    """Everything one process's sender threads share to deliver batches."""

    transport: Transport
    limiter: RateLimiter
    stop: threading.Event
    tally: Tally
    limits: Limits
    # batch id -> (times it outlasted its retries in this process, when that first happened)
    _set_aside: dict[int, tuple[int, float]] = field(default_factory=dict)

    def deliver(
        self,
        batch_id: int,
        key: str,
        message: OutgoingMessage,
        items: list[SendRow],
        renew: Callable[[float], None],
        paid: int = 0,
    ) -> BatchResult:
        """Send the batch; ``paid`` recipients' throttle tokens were taken before the claim."""
        result = BatchResult(transport=str(getattr(self.transport, "name", "")))
        accepted = str(getattr(self.transport, "accepted_code", "ok"))
        queue: deque[list[SendRow]] = deque([items])
        retries = waits = 0
        while queue:
            part = queue.popleft()
            if self.stop.is_set():
                result.unsent.extend(part)
                continue
            if paid >= len(part):
                paid -= len(part)
            elif not self.limiter.acquire(len(part), self.stop):
                result.unsent.extend(part)
                continue
            try:
                result.absorb(deliver_rows(self.transport, message, part, key))
                result.answers[accepted] += 1
                continue
            except TransportError as exc:
                error = exc
                result.answers[str(exc.status) if exc.status else "no answer"] += 1
            part = result.absorb_partial(error.partial, part)
            if not part:
                continue
            tries = self._tries(batch_id, len(part), retries, waits)
            decision = decide(_failure(error), tries, self.limits)
            if decision.verdict is Verdict.RETRY:
                if decision.counts_as_wait:
                    waits += 1
                else:
                    retries += 1
                self._wait(decision, renew)
                queue.appendleft(part)
                continue
            if decision.verdict in _ROUND_ENDS and error.retryable:
                self.note_set_aside(batch_id)
            self._apply(decision, error, batch_id, key, part, queue, result, retries + waits + 1)
        return result

    def _apply(
        self,
        decision: Decision,
        exc: TransportError,
        batch_id: int,
        key: str,
        part: list[SendRow],
        queue: deque[list[SendRow]],
        result: BatchResult,
        tries: int,
    ) -> None:
        """Carry out every verdict but RETRY on ``part`` (and the queue, when it stops)."""
        verdict = decision.verdict
        if verdict is Verdict.STOP:
            result.fatal = exc
            result.unsent.extend(part)
        elif verdict is Verdict.UNKNOWN:
            result.unknown.extend(i.subscriber_id for i in part)
            result.error = exc.reason
        elif verdict is Verdict.REJECT:
            result.failed.update(exc.rejected)
            rest = [i for i in part if i.subscriber_id not in exc.rejected]
            if rest:
                queue.appendleft(rest)
        elif verdict is Verdict.SPLIT:
            half = len(part) // 2
            queue.appendleft(part[half:])
            queue.appendleft(part[:half])
        elif verdict is Verdict.FAIL:
            reason = exc.reason
            if exc.retryable:  # the provider takes other batches but never this one
                reason = (
                    f"gave up after {tries} attempt(s) in each of "
                    f"{self.limits.set_aside_rounds} rounds while other batches went through: "
                    f"{exc.reason}"
                )
            for i in part:
                result.failed[i.subscriber_id] = reason
        else:  # OUTAGE or SET_ASIDE: temporary trouble; nobody is failed for it
            if verdict is Verdict.OUTAGE:
                result.fatal = self._outage(key, exc, tries)
            else:
                rounds = self._set_aside[batch_id][0]
                result.set_aside = (
                    f"set aside after {tries} attempt(s), to be tried again: {exc.reason}"
                )
                # a pause before this thread claims again, growing with the rounds,
                # so a provider refusing at once is not polled in a tight loop
                result.pause = self.transport.backoff.delay(rounds - 1)
            result.unsent.extend(part)
            while queue:
                result.unsent.extend(queue.popleft())

    def _tries(self, batch_id: int, size: int, retries: int, waits: int) -> Tries:
        """This part's history, for the policy; counts a round when retries are used up."""
        now = time.monotonic()
        with self.tally.lock:
            rounds, since = self._set_aside.get(batch_id, (0, now))
        return Tries(
            part_size=size,
            retries=retries,
            waits=waits,
            rounds=rounds,
            quiet_seconds=now - self.tally.last_accepted,
            accepted_since_set_aside=self.tally.last_accepted > since,
        )

    def note_set_aside(self, batch_id: int) -> None:
        """Count one more round in which the batch outlasted its retries."""
        now = time.monotonic()
        with self.tally.lock:
            rounds, since = self._set_aside.get(batch_id, (0, now))
            self._set_aside[batch_id] = (rounds + 1, since)

    def _wait(self, decision: Decision, renew: Callable[[float], None]) -> None:
        wait = decision.retry_after
        if wait is None:
            wait = self.transport.backoff.delay(decision.backoff_step)
        if decision.counts_as_wait:
            self.limiter.pause(wait)  # a 429 slows every thread, not just this one
        renew(wait)
        self.stop.wait(wait)  # a stop ends the wait; the loop then sets the part aside

    def _outage(self, key: str, exc: TransportError, tries: int) -> TransportError:
        """The fatal error that stops the send when a batch outlasted every retry."""
        return TransportError(
            f"{self.transport.endpoint} did not take batch {key} in {tries} attempt(s); "
            f"the last error: {exc.reason}",
            retryable=False,
            fatal=True,
            outage=True,
            status=exc.status,
        )


# verdicts that end a round in which a temporary failure outlasted every retry
_ROUND_ENDS = (Verdict.OUTAGE, Verdict.SET_ASIDE, Verdict.FAIL)


def _failure(exc: TransportError) -> Failure:
    return Failure(
        retryable=exc.retryable,
        fatal=exc.fatal,
        outcome_unknown=exc.outcome_unknown,
        rejected=bool(exc.rejected),
        splittable=exc.splittable,
        status=exc.status,
        retry_after=exc.retry_after,
    )
