"""The send package's errors: what the CLI turns into a message and an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.send.dispatcher import SendReport


class SendError(Exception):
    """Sending cannot go on; the message says why (configuration, database, template)."""


class SendAborted(SendError):
    """The provider refused us outright (bad key, forbidden, invalid message).

    Unsent batches stay pending, so fixing the cause and running the send again resumes.
    ``report`` is where the edition stood when the send stopped.
    """

    def __init__(self, reason: str, report: SendReport) -> None:
        super().__init__(reason)
        self.reason = reason
        self.report = report
