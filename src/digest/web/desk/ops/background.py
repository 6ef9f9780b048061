"""Sends the console started, run in this web process's background threads.

The console changes the edition's state at once (in the request) and then runs the same
send use case as ``digest send`` here, so the request returns while the send goes on and
the Sends page shows it move. The ledger makes a second sender harmless (claims never
overlap), so a thread is started for every launch. Should this process stop mid-send, the
edition stays ``sending`` and the scheduler resumes it on its next tick, as after any crash.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from digest.log_context import in_context, log_context

if TYPE_CHECKING:
    from digest.app import App
    from digest.console_controls import Launch

log = logging.getLogger("digest.console")


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How the latest console-started send of an edition ended (or that it runs)."""

    running: bool
    message: str
    at: datetime


class BackgroundSends:
    """Starts console sends in daemon threads and remembers how each ended."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._threads: dict[tuple[str, date], list[threading.Thread]] = {}
        self._outcomes: dict[tuple[str, date], RunOutcome] = {}

    def launch(self, launch: Launch, actor: str) -> None:
        """Run the send of ``launch`` in a new thread (the edition's state is already set)."""
        key = (launch.segment, launch.edition_date)
        with log_context(segment=launch.segment, edition_date=launch.edition_date.isoformat()):
            thread = threading.Thread(
                target=in_context(self._run),
                args=(launch, actor),
                name=f"console-send-{launch.segment}-{launch.edition_date}",
                daemon=True,
            )
        with self._lock:
            alive = [t for t in self._threads.get(key, []) if t.is_alive()]
            self._threads[key] = [*alive, thread]
            self._outcomes[key] = RunOutcome(True, "sending", self.app.clock())
        thread.start()

    def _run(self, launch: Launch, actor: str) -> None:
        from digest.alerts import AlertKind, post_quietly, raise_alert
        from digest.send.errors import SendAborted
        from digest.send.workers import new_worker_id
        from digest.sending import send_edition

        key = (launch.segment, launch.edition_date)
        try:
            report = send_edition(
                self.app,
                launch.segment,
                launch.edition_date,
                actor=actor,
                retry_unknown=launch.retry_unknown,
                worker_id=new_worker_id("console"),
            )
            message = f"{report.sent_now} sent by this run; edition {report.edition_status}" + (
                f"; {report.note}" if report.note else ""
            )
        except SendAborted as exc:  # the use case raised the alert
            message = f"stopped: {exc.reason}"
        except Exception as exc:  # shown on the page and raised as an alert
            log.exception("console send of %s %s failed", launch.segment, launch.edition_date)
            message = f"failed: {type(exc).__name__}: {exc}"
            try:
                with self.app.engine.begin() as conn:
                    raise_alert(
                        conn,
                        AlertKind.FAILED,
                        segment=launch.segment,
                        edition_date=launch.edition_date,
                        message=f"the send started on the console by {actor} {message}",
                        now=self.app.clock(),
                    )
                post_quietly(self.app)
            except Exception:
                log.exception("recording the failure of the console send failed")
        with self._lock:
            running = any(
                t.is_alive() and t is not threading.current_thread()
                for t in self._threads.get(key, [])
            )
            self._outcomes[key] = RunOutcome(running, message, self.app.clock())

    def outcome(self, segment: str, edition_date: date) -> RunOutcome | None:
        """The latest console send of the edition in this process, if any."""
        with self._lock:
            return self._outcomes.get((segment, edition_date))

    def join(self, timeout: float) -> None:
        """Wait (up to ``timeout`` seconds each) for the running sends (tests, shutdown)."""
        with self._lock:
            threads = [t for ts in self._threads.values() for t in ts]
        for thread in threads:
            thread.join(timeout)
