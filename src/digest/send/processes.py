"""Extra sender processes for one edition, so that a send uses every core.

One Python process runs on one core (the GIL). ``digest send --workers N`` starts N-1
helper processes (multiprocessing, spawn) next to the main one; each builds its own App
from the same configuration and claims batches through the same ledger, exactly as
senders on other hosts do, so the exactly-once guarantees are the ledger's and do not
depend on this module. The main process renders and gates every variant first and hands
the results over, so all processes send the very same email.

A helper stops when the send is stopped (shared flag), when its parent disappears (the
parent was killed: it must not go on sending unsupervised), or when no batch is left.

Nothing the processes share takes a lock. multiprocessing's Event and locked Values keep a
lock (and Event a count of waiting threads) in shared memory: a process killed with kill -9
while holding the lock, or while counted as waiting, leaves every other process blocked for
good. The stop flag and the progress counters are plain shared integers instead, each
counter written by one process only.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from digest.clock import Clock
from digest.config import Config, Secrets
from digest.models import Edition, RenderedEmail

# below this many batches per process, starting a process (about a second) costs more
# than it saves
MIN_BATCHES_PER_PROCESS = 10


def process_count(requested: int, batches: int) -> int:
    """How many processes to use for ``batches`` claimable batches (at least one)."""
    return max(1, min(requested, batches // MIN_BATCHES_PER_PROCESS))


class StopFlag:
    """The send's stop signal: one shared byte, and a local event to wait on.

    ``set`` raises the shared byte and wakes this process's waiters at once; the other
    processes see it within ``POLL`` seconds, at their next check or while they wait.
    """

    POLL = 0.1

    def __init__(self, shared: Any) -> None:
        self._shared = shared
        self._local = threading.Event()

    def set(self) -> None:
        """Stop every process of the send."""
        self._shared.value = 1
        self._local.set()

    def is_set(self) -> bool:
        """True once any process stopped the send."""
        if self._local.is_set():
            return True
        if self._shared.value:
            self._local.set()
            return True
        return False

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the send is stopped or ``timeout`` seconds pass; True if stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = self.POLL if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            self._local.wait(min(left, self.POLL))
        return True


class SlotCounter:
    """One helper's progress count: its own slot of a shared array (no other writer)."""

    def __init__(self, slots: Any, index: int) -> None:
        self._slots = slots
        self._index = index
        self._lock = threading.Lock()  # this process's threads only

    def advance(self, n: int) -> None:
        """Add ``n`` to this helper's slot."""
        with self._lock:
            self._slots[self._index] += n


class ProgressSlots:
    """The main process's view of every helper's slot (for the progress bar)."""

    def __init__(self, slots: Any) -> None:
        self._slots = slots
        self._seen = 0

    def take(self) -> int:
        """How much the helpers advanced since the last call."""
        total = sum(self._slots[:])
        n, self._seen = total - self._seen, total
        return n


@dataclass(frozen=True)
class HelperPlan:
    """Everything a helper process needs, all picklable."""

    config: Config
    secrets: Secrets
    clock: Clock
    edition: Edition
    variants: Mapping[str, RenderedEmail]
    retry_unknown: bool
    rate_share: float | None  # this process's share of transport.rate_limit_per_second
    parent_pid: int


@dataclass
class HelperResult:
    """What one helper did: sent, batches, and why it stopped early (if it did)."""

    sent: int = 0
    batches: int = 0
    fatal: str | None = None
    fatal_status: int | None = None
    fatal_outage: bool = False  # the fatal error is the provider being unavailable
    error: str | None = None


class Helpers:
    """Starts the helper processes and collects their results."""

    def __init__(self, plan: HelperPlan, count: int) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        flag = self._ctx.RawValue("b", 0)
        self.stop = StopFlag(flag)
        slots = self._ctx.RawArray("q", count)
        self.progress = ProgressSlots(slots)
        self._results: Any = self._ctx.Queue()
        self._procs = [
            self._ctx.Process(
                target=run_helper,
                args=(plan, flag, slots, i, self._results),
                name=f"digest-send-helper-{i}",
                daemon=True,
            )
            for i in range(count)
        ]

    def start(self) -> None:
        """Start every helper."""
        for proc in self._procs:
            proc.start()

    def alive(self) -> bool:
        """True while any helper still runs."""
        return any(p.is_alive() for p in self._procs)

    def join(self) -> list[HelperResult]:
        """Wait for every helper; their results (a helper that died reports an error)."""
        results: list[HelperResult] = []
        for proc in self._procs:
            proc.join()
        while len(results) < len(self._procs):
            try:
                results.append(self._results.get(timeout=1.0))
            except Exception:  # noqa: BLE001 - queue.Empty: a helper died without a word
                break
        for proc in self._procs[len(results) :]:
            results.append(HelperResult(error=f"a sender process exited with {proc.exitcode}"))
        return results


def run_helper(plan: HelperPlan, flag: Any, slots: Any, index: int, results: Any) -> None:
    """A helper process's body: build an App, send until nothing is left, report."""
    import signal

    from digest.app import build
    from digest.send.email import run_helper_loop
    from digest.send.errors import SendError

    # Ctrl-C reaches every process of the terminal: let the main process decide, and
    # stop at the next batch through the shared event
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = HelperResult()
    app = build(plan.config, plan.secrets, clock=plan.clock)
    stop = StopFlag(flag)
    try:
        watcher = threading.Thread(target=_watch_parent, args=(plan.parent_pid, stop), daemon=True)
        watcher.start()
        tally = run_helper_loop(
            app,
            plan.edition,
            plan.variants,
            stop=stop,
            progress=SlotCounter(slots, index),
            retry_unknown=plan.retry_unknown,
            rate=plan.rate_share,
        )
        result.sent, result.batches = tally.sent, tally.batches
        if tally.fatal is not None:
            result.fatal, result.fatal_status = tally.fatal.reason, tally.fatal.status
            result.fatal_outage = tally.fatal.outage
        if tally.error is not None:
            result.error = (
                str(tally.error)
                if isinstance(tally.error, SendError)
                else f"{type(tally.error).__name__}: {tally.error}"
            )
    except BaseException as exc:  # noqa: BLE001 - reported to the main process
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        app.engine.dispose()
        results.put(result)


def _watch_parent(parent_pid: int, stop: StopFlag) -> None:
    """Stop this helper's sending when the main process is gone (killed)."""
    while not stop.wait(0.5):
        if os.getppid() != parent_pid:
            stop.set()
            return
