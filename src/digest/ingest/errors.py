"""The ingest package's errors: each message names the source or the thing that was wrong."""

from __future__ import annotations


class IngestError(Exception):
    """Ingestion cannot proceed as asked (for example an unknown source name)."""


class FeedError(IngestError):
    """The bytes are not a usable feed: not a feed at all, undecodable or malformed."""


class FetchError(IngestError):
    """A source could not be fetched: unreachable, HTTP error, timeout or over the size cap."""
