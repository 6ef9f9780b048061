"""Shared helpers for the ingest tests: fixture feeds and generated feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from digest.ingest import ParsedFeed, parse_feed

FEEDS = Path(__file__).with_name("feeds")
NOW = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)


def feed_bytes(name: str) -> bytes:
    """The bytes of a fixture feed."""
    return (FEEDS / name).read_bytes()


def parse(content: bytes, content_type: str | None = None, **kw: object) -> ParsedFeed:
    """parse_feed with the test defaults (source 'wire', fixed now, 230 wpm)."""
    args: dict[str, object] = {
        "source": "wire",
        "content_type": content_type,
        "now": NOW,
        "words_per_minute": 230,
    }
    args.update(kw)
    return parse_feed(content, **args)  # type: ignore[arg-type]


def rss(items: list[str], *, title: str = "Generated Wire") -> bytes:
    """An RSS 2.0 document around the given <item> elements."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://gen.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


def item(
    n: int,
    *,
    title: str | None = None,
    summary: str | None = None,
    published: datetime | None = None,
    link: str | None = None,
) -> str:
    """One RSS <item> with guid gen-n, dated ``n`` minutes before NOW unless given."""
    when = published or (NOW - timedelta(minutes=n))
    return (
        "<item>"
        f"<title>{escape(title or f'Story number {n}')}</title>"
        f"<link>{escape(link or f'https://gen.example/story/{n}?utm_source=rss')}</link>"
        f'<guid isPermaLink="false">gen-{n}</guid>'
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>{escape(summary or f'<p>Summary of story {n}.</p>')}</description>"
        "</item>"
    )


@lru_cache(maxsize=1)
def big_feed(count: int = 3000) -> bytes:
    """An RSS document with ``count`` generated items (built once per test session)."""
    return rss([item(n) for n in range(count)])


@lru_cache(maxsize=1)
def big_parsed(count: int = 3000) -> ParsedFeed:
    """``big_feed`` parsed once per test session (parse_feed is pure)."""
    return parse(big_feed(count))
