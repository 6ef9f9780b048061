"""``parse_feed``: bytes in, normalised Articles and the reasons for skipped items out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.ingest.encoding import as_utf8_xml, decode_feed, media_type
from digest.ingest.errors import FeedError
from digest.ingest.items import RawItem
from digest.ingest.jsonfeed import looks_like_json, parse_json_feed
from digest.ingest.normalise import SkipItem, normalise_item
from digest.ingest.xmlfeed import html_page_error, looks_like_html, parse_xml_feed
from digest.models import Article


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The articles of one feed document, the items skipped (with why) and warnings."""

    source: str
    kind: str  # rss20, rss10, rss091u, atom10, json1.1, ...
    title: str | None
    encoding: str
    articles: tuple[Article, ...]
    skipped: tuple[tuple[str, str], ...]  # (item identifier, reason)
    warnings: tuple[str, ...] = ()
    complete: bool = True  # False when a malformed tail was dropped

    @property
    def items(self) -> int:
        """How many items the document held (articles plus skipped)."""
        return len(self.articles) + len(self.skipped)


def _normalise_all(
    raw_items: tuple[RawItem, ...], *, source: str, now: datetime, words_per_minute: int
) -> tuple[tuple[Article, ...], tuple[tuple[str, str], ...]]:
    articles: list[Article] = []
    skipped: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for raw in raw_items:
        try:
            article = normalise_item(raw, source=source, now=now, words_per_minute=words_per_minute)
        except SkipItem as exc:
            skipped.append((raw.label(), str(exc)))
            continue
        if article.uid in seen:
            skipped.append(
                (raw.label(), f"same id as item #{seen[article.uid]} of this feed; kept the first")
            )
            continue
        seen[article.uid] = raw.position
        articles.append(article)
    return tuple(articles), tuple(skipped)


def parse_feed(
    content: bytes,
    *,
    source: str,
    content_type: str | None,
    now: datetime,
    words_per_minute: int,
    base_url: str | None = None,
) -> ParsedFeed:
    """Parse RSS, Atom or JSON Feed bytes into Articles (pure: no I/O, ``now`` passed in).

    Raises FeedError when the bytes are not a usable feed (empty, undecodable, an HTML page,
    malformed beyond safe recovery). ``base_url`` resolves relative links.
    """
    if not content.strip():
        raise FeedError("empty document")
    decoded = decode_feed(content, content_type)
    text = decoded.text
    if looks_like_json(text, media_type(content_type)):
        feed = parse_json_feed(text.lstrip("\ufeff"), base_url)
        kind, title, raw_items, warnings, complete = (
            feed.kind,
            feed.title,
            feed.items,
            feed.warnings,
            True,
        )
    else:
        if looks_like_html(text):
            raise html_page_error(text)
        xml = parse_xml_feed(as_utf8_xml(text), base_url)
        kind, title, raw_items, warnings, complete = (
            xml.kind,
            xml.title,
            xml.items,
            xml.warnings,
            xml.complete,
        )
    articles, skipped = _normalise_all(
        raw_items, source=source, now=now, words_per_minute=words_per_minute
    )
    return ParsedFeed(
        source=source,
        kind=kind,
        title=title,
        encoding=decoded.encoding,
        articles=articles,
        skipped=skipped,
        warnings=tuple(w for w in (decoded.warning(),) if w) + tuple(warnings),
        complete=complete,
    )
