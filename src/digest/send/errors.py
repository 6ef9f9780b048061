"""The send package's errors: what the CLI turns into a message and an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.send.report import SendReport


class SendError(Exception):
    """Sending cannot go on; the message says why (configuration, database, template)."""


class SendAborted(SendError):
    """The send stopped at once: the provider refused us or is unavailable.

    Refused outright: a bad key, forbidden, an invalid message. Unavailable (``outage``): a
    batch outlasted every retry of a temporary failure (5xx, no connection, rate limit), so
    every later batch would too. Either way unsent batches stay pending and nobody is
    failed for it: running the send again resumes. ``report`` is where the edition stood
    when the send stopped.
    """

    def __init__(self, reason: str, report: SendReport, *, outage: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.report = report
        self.outage = outage
