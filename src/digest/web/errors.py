"""The web package's errors: each carries a message fit to show or log as it is."""

from __future__ import annotations


class WebError(Exception):
    """A subscription or web request cannot be completed; the message says why."""


class InvalidSubmission(WebError):
    """A form or JSON body failed validation; ``fields`` maps each bad field to its problem."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class UnknownSubscriber(WebError):
    """No subscriber matches the address or id given."""


class WebhookRejected(WebError):
    """A provider webhook post is unsigned, forged, stale or malformed; nothing was changed."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class WebSetupError(WebError):
    """The web app cannot start: a setting or secret it needs is unusable."""
