"""Recording the scheduler's decisions for a process: each one stored once, under the decision
lock, with the alert that a missed or failed run raises; and what an edition already finished
implies for a due time.
"""

from __future__ import annotations

import logging
from typing import Any

from digest.alerts import AlertKind, post_quietly, raise_alert
from digest.app import App
from digest.scheduling.outcomes import log_extra
from digest.scheduling.values import PlannedRun, ScheduleRun
from digest.store.editions import edition_for
from digest.store.schedule_runs import decision_lock, last_run, record_run, sent_run_for_date

log = logging.getLogger("digest.schedule")


class DecisionRecorder:
    """Stores a process's decisions about due times; ``host`` names the process in them."""

    def __init__(self, app: App, host: str) -> None:
        self.app = app
        self.host = host

    def record(
        self, plan: PlannedRun, outcome: str, reason: str | None, *, alert: bool = True
    ) -> ScheduleRun:
        """Store the decision; a missed or failed one raises an alert unless ``alert`` is off
        (the send use case has raised it already)."""
        run = self.unrecorded(plan, outcome, reason)
        with decision_lock(self.app.engine) as conn:
            if outcome in ("failed", "held"):
                previous = last_run(conn, plan.segment)
                if (
                    previous is not None
                    and previous.due_at == plan.due_at
                    and previous.outcome == "failed"
                    and previous.reason == reason
                ):
                    return previous  # the same failure again: keep the log readable
            stored = record_run(conn, run)
            fresh = stored.host == self.host and stored.ran_at == run.ran_at
            if fresh and alert and outcome in ("missed", "failed"):
                self._alert(conn, plan, outcome, reason)
        if fresh and alert and outcome in ("missed", "failed"):
            post_quietly(self.app)
        if fresh:
            level = logging.WARNING if outcome in ("missed", "failed") else logging.INFO
            log.log(
                level,
                "%s %s (due %s): %s%s",
                plan.segment,
                plan.edition_date,
                plan.due_at.isoformat(),
                outcome,
                f" — {reason}" if reason else "",
                extra=log_extra(plan.segment, plan.edition_date),
            )
        return stored

    def _alert(self, conn: Any, plan: PlannedRun, outcome: str, reason: str | None) -> None:
        kind = AlertKind.MISSED if outcome == "missed" else AlertKind.FAILED
        edition = edition_for(conn, plan.segment, plan.edition_date)
        what = "was missed" if outcome == "missed" else "failed"
        raise_alert(
            conn,
            kind,
            segment=plan.segment,
            edition_date=plan.edition_date,
            message=f"the run due at {plan.due_at.isoformat()} {what}: {reason or 'no reason'}",
            now=self.app.clock(),
            edition_id=edition.id if edition is not None else None,
        )

    def unrecorded(self, plan: PlannedRun, outcome: str, reason: str | None) -> ScheduleRun:
        """A result that is not a decision (yet): returned to the caller, not stored."""
        return ScheduleRun(
            segment=plan.segment,
            edition_date=plan.edition_date,
            due_at=plan.due_at,
            ran_at=self.app.clock(),
            outcome=outcome,
            reason=reason,
            host=self.host,
        )

    def settled_by_edition(self, plan: PlannedRun) -> ScheduleRun | None:
        """Record and return the decision an already finished edition implies, if any."""
        with self.app.engine.connect() as conn:
            edition = edition_for(conn, plan.segment, plan.edition_date)
            earlier = sent_run_for_date(conn, plan.segment, plan.edition_date)
        if edition is None:
            return None
        if edition.status == "sent":
            if earlier is not None and earlier.due_at != plan.due_at:
                return self.record(
                    plan,
                    "skipped",
                    f"edition {plan.edition_date} was already sent by the run due at "
                    f"{earlier.due_at.isoformat()} (one edition per segment and day)",
                )
            return self.record(plan, "sent", "edition was already sent")
        if edition.status == "skipped":
            return self.record(plan, "skipped", edition.skip_reason or "edition was skipped")
        if edition.status == "cancelled":
            return self.record(plan, "skipped", "edition was cancelled by an editor")
        return None
