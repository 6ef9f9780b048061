"""A feed item as read from RSS, Atom or JSON Feed, before normalisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RawItem:
    """What a feed said about one item, in its own terms (HTML still raw, URLs unchecked)."""

    position: int  # 1-based index in the feed, for messages
    guid: str | None
    links: tuple[str, ...]  # candidate article links, best first
    title: str
    title_is_html: bool
    summary: str
    summary_is_html: bool
    content: str
    content_is_html: bool
    author: str | None
    categories: tuple[str, ...]
    published: datetime | None  # aware UTC, None when the feed gives no usable date
    images: tuple[str, ...] = ()  # candidate image URLs, best first
    key_points: tuple[str, ...] = ()  # given explicitly by the feed (JSON Feed extension)
    read_minutes: int | None = None  # given explicitly by the feed
    base: str | None = None  # URL to resolve relative links against

    def label(self) -> str:
        """How to name this item in a message: its guid, link or title, else its position."""
        for value in (self.guid, *self.links, self.title):
            if value and value.strip():
                text = " ".join(value.split())
                return text if len(text) <= 120 else text[:119] + "…"
        return f"item #{self.position}"
