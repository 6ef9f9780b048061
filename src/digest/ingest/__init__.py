"""Ingestion: fetch sources, parse RSS/Atom/JSON Feed, normalise and sanitise, upsert."""

from __future__ import annotations

from digest.ingest.errors import FeedError, FetchError, IngestError
from digest.ingest.parse import ParsedFeed, parse_feed
from digest.ingest.report import format_report
from digest.ingest.run import IngestReport, SourceResult, ingest_sources

__all__ = [
    "FeedError",
    "FetchError",
    "IngestError",
    "IngestReport",
    "ParsedFeed",
    "SourceResult",
    "format_report",
    "ingest_sources",
    "parse_feed",
]
