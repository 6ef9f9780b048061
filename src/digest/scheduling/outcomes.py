"""What a run's result means to the schedule: the outcome and reason that a send report or an
error is recorded with, and the fields a log line about one edition carries. Pure.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def describe_error(exc: BaseException) -> str:
    from digest.send.errors import SendAborted

    if isinstance(exc, SendAborted):
        return describe_abort(exc)
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text}"


def describe_abort(exc: Any) -> str:
    """A stopped send (SendAborted): why, and that the rest waits in the ledger."""
    pending = exc.report.pending
    if exc.outage:
        return (
            f"provider unavailable: {exc.reason}; {pending} recipient(s) still pending "
            "(none failed for it): the next run resumes them"
        )
    return (
        f"provider refused the send: {exc.reason}; {pending} recipient(s) still pending: "
        "fix the cause, the next run resumes them"
    )


def send_outcome(report: Any) -> tuple[str | None, str]:
    """(outcome, summary) of a dispatcher SendReport; None while others still hold batches."""
    summary = (
        f"{report.recipients} recipient(s): {report.sent} sent, {report.failed} failed, "
        f"{report.suppressed} suppressed"
    )
    if report.complete:
        return "sent", summary
    if report.unknown:
        return "failed", (
            f"{summary}, {report.unknown} unknown (the provider may or may not have them; "
            "check, then `digest send --retry-unknown`)"
        )
    if report.held and report.pending == report.held and not report.in_flight:
        when = f" from {report.next_due.isoformat()}" if report.next_due else ""
        return "sent", f"{summary}; {report.held} held for local delivery time{when}"
    if report.in_flight:
        return None, f"{summary}; {report.in_flight} being sent by another worker"
    return "failed", f"{summary}; {report.pending} still pending"


def log_extra(segment: str, edition_date: date) -> dict[str, str]:
    """The fields a log line carries for one segment's edition (digest.logging_setup)."""
    return {"segment": segment, "edition_date": edition_date.isoformat()}
