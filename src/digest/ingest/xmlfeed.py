"""RSS 0.9x/1.0/2.0 and Atom through feedparser, with a safe rescue of truncated feeds.

Truncated or malformed XML: feedparser's lenient fallback may return half an item, so its
result is not trusted. Instead the document is cut after the last item that closed before
the error, the still-open elements are closed, and the cut document must then parse
strictly; only its complete items are kept and the result carries a warning. If no item
closed before the error, or the cut still does not parse, the feed is refused.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html.entities import html5 as html5_entities
from typing import Any
from xml.parsers import expat

import feedparser

from digest.ingest.errors import FeedError
from digest.ingest.items import RawItem
from digest.ingest.keypoints import split_key_points_html, split_key_points_text

HTML_TYPES = ("text/html", "application/xhtml+xml")
ITEM_ELEMENTS = frozenset({"item", "entry"})
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", re.IGNORECASE)
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_ALTERNATE = re.compile(
    r"<link\b[^>]*type\s*=\s*[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE
)
_HREF = re.compile(r"href\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class XmlFeed:
    """The items of an XML feed and what was noticed while reading it."""

    kind: str  # feedparser's version string, e.g. rss20, atom10, rss10
    title: str | None
    items: tuple[RawItem, ...]
    warnings: tuple[str, ...] = ()
    complete: bool = True  # False when items after a malformed part were dropped


def looks_like_html(text: str) -> bool:
    """True when the text is an HTML page rather than a feed."""
    return bool(_HTML_START.match(text[:4096]))


def html_page_error(text: str) -> FeedError:
    """The error for an HTML page, naming the feed it advertises if it has one."""
    for tag in _ALTERNATE.findall(text[:200_000]):
        href = _HREF.search(tag)
        if href:
            return FeedError(
                f"not a feed but an HTML page; the page advertises a feed at {href.group(1)}"
            )
    return FeedError("not a feed but an HTML page")


def _struct_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


_MARKUP = re.compile(r"<[A-Za-z/!]|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")


def _is_html(detail: Any, strict_types: bool) -> bool:
    """Whether a text construct holds HTML.

    Atom says so explicitly (type="text" is plain). RSS does not, and feedparser's guess
    misses escaped markup it does not like (a <script>), so RSS text that looks like
    markup is treated as HTML, which is how RSS readers have always shown it.
    """
    if not detail:
        return not strict_types
    if detail.get("type", "text/html") in HTML_TYPES:
        return True
    return not strict_types and bool(_MARKUP.search(detail.get("value") or ""))


def _links(entry: Any) -> tuple[str, ...]:
    out: list[str] = []
    if entry.get("link"):
        out.append(entry["link"])
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            out.append(link["href"])
    return tuple(dict.fromkeys(out))


def _images(entry: Any) -> tuple[str, ...]:
    found: list[str] = []
    for media in entry.get("media_content", []):
        kind = (media.get("type") or "").lower()
        medium = (media.get("medium") or "").lower()
        url = media.get("url") or ""
        if (
            medium == "image"
            or kind.startswith("image/")
            or (not kind and not medium and _IMAGE_EXT.search(url))
        ):
            found.append(url)
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure":
            kind = (link.get("type") or "").lower()
            href = link.get("href") or ""
            if kind.startswith("image/") or (not kind and _IMAGE_EXT.search(href)):
                found.append(href)
    for thumb in entry.get("media_thumbnail", []):
        if thumb.get("url"):
            found.append(thumb["url"])
    return tuple(u for u in dict.fromkeys(found) if u)


def _content(entry: Any) -> tuple[str, bool]:
    parts = entry.get("content") or []
    if not parts:
        return "", False
    html = [p for p in parts if p.get("type") in HTML_TYPES]
    best = max(html or parts, key=lambda p: len(p.get("value") or ""))
    return best.get("value") or "", best.get("type") in HTML_TYPES


def _extension(entry: Any, suffixes: tuple[str, ...]) -> str | None:
    """A custom element in any namespace prefix (feedparser names them prefix_localname)."""
    for key, value in entry.items():
        if isinstance(value, str) and "_" in key and key.rsplit("_", 1)[1] in suffixes:
            return value
    return None


def _custom_key_points(entry: Any) -> tuple[str, ...]:
    value = _extension(entry, ("keypoints",))
    if not value:
        return ()
    labelled = "Key Points\n" + value if "<" not in value else f"<p>Key Points</p>{value}"
    if "<" in value:
        points, _ = split_key_points_html(labelled)
    else:
        lines = [
            f"- {line}" if not line.lstrip().startswith(("-", "*", "•")) else line
            for line in value.splitlines()
            if line.strip()
        ]
        points, _ = split_key_points_text("Key Points\n" + "\n".join(lines))
    return points


def _custom_read_minutes(entry: Any) -> int | None:
    value = _extension(entry, ("readminutes", "readingtime"))
    if value is None:
        return None
    match = re.match(r"\s*(\d{1,4})", value)
    return int(match.group(1)) if match else None


def _raw_item(position: int, entry: Any, base: str | None, atom: bool) -> RawItem:
    content, content_is_html = _content(entry)
    summary_detail = entry.get("summary_detail")
    title_detail = entry.get("title_detail")
    tags = tuple((t.get("term") or t.get("label") or "") for t in entry.get("tags", []))
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: the key itself, not feedparser's deprecated updated->published fallback
        published = _struct_to_datetime(dict.get(entry, key))
        if published:
            break
    return RawItem(
        position=position,
        guid=entry.get("id") or None,
        links=_links(entry),
        title=entry.get("title") or "",
        title_is_html=_is_html(title_detail, atom),
        summary=entry.get("summary") or "",
        summary_is_html=_is_html(summary_detail, atom),
        content=content,
        content_is_html=content_is_html,
        author=entry.get("author") or None,
        categories=tags,
        published=published,
        images=_images(entry),
        key_points=_custom_key_points(entry),
        read_minutes=_custom_read_minutes(entry),
        base=base,
    )


def _feedparser(data: bytes, base: str | None) -> Any:
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base:
        headers["content-location"] = base
    # A file object, never bytes or str: feedparser treats those as a path or URL to open.
    # Its own sanitiser and link rewriting are off: nh3 does both (it turns a javascript:
    # link into a link to the feed's base URL, where nh3 simply drops the href).
    return feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        resolve_relative_uris=False,
        sanitize_html=False,
    )


@dataclass(frozen=True, slots=True)
class _WellFormedness:
    error: str | None  # None: the document is well-formed
    line: int = 0
    column: int = 0
    cut: bytes | None = None  # the document up to the last complete item, closed
    items_before: int = 0


def _check_well_formed(data: bytes) -> _WellFormedness:
    parser = expat.ParserCreate()
    stack: list[str] = []
    last_cut: list[tuple[int, tuple[str, ...]]] = []
    count = [0]

    def start(name: str, _attrs: Any) -> None:
        stack.append(name)

    def end(name: str) -> None:
        if stack:
            stack.pop()
        if name.rsplit(":", 1)[-1].lower() in ITEM_ELEMENTS:
            close = data.find(b">", parser.CurrentByteIndex)
            if close >= 0:
                count[0] += 1
                last_cut[:] = [(close + 1, tuple(stack))]

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        cut = None
        if last_cut:
            end_at, open_elements = last_cut[0]
            closers = "".join(f"</{name}>" for name in reversed(open_elements))
            cut = data[:end_at] + closers.encode("utf-8")
        return _WellFormedness(
            error=expat.ErrorString(exc.code),
            line=exc.lineno,
            column=exc.offset,
            cut=cut,
            items_before=count[0],
        )
    return _WellFormedness(error=None)


_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _numeric_entities(data: bytes) -> bytes:
    """HTML named entities (&nbsp; &eacute; ...) as numeric references XML understands."""

    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        char = html5_entities.get(name.decode("ascii") + ";")
        if char is None:
            return match.group(0)
        return "".join(f"&#{ord(c)};" for c in char).encode("ascii")

    return _ENTITY.sub(replace, data)


def parse_xml_feed(data: bytes, base: str | None) -> XmlFeed:
    """Items of an RSS/Atom document given as UTF-8 bytes; FeedError if it is not usable."""
    parsed = _feedparser(data, base)
    warnings: list[str] = []
    complete = True
    if parsed.get("bozo"):
        check = _check_well_formed(data)
        if check.error is not None and check.error == expat.ErrorString(
            expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]
        ):
            # HTML entities such as &nbsp; are common in feeds and harmless: spell them as
            # numeric references and read the document again.
            data = _numeric_entities(data)
            parsed = _feedparser(data, base)
            check = _check_well_formed(data) if parsed.get("bozo") else _WellFormedness(None)
        if check.error is not None:
            where = f"line {check.line}, column {check.column + 1}"
            if check.cut is None and not parsed.get("version"):
                raise FeedError(f"not an RSS, Atom or RDF feed (not XML: {check.error} at {where})")
            if check.cut is None:
                raise FeedError(
                    f"malformed or truncated XML at {where} ({check.error}) "
                    "and no complete item before it"
                )
            parsed = _feedparser(check.cut, base)
            if parsed.get("bozo") or not parsed.get("entries"):
                raise FeedError(
                    f"malformed or truncated XML at {where} ({check.error}); "
                    "the items before it could not be recovered safely"
                )
            complete = False
            warnings.append(
                f"malformed or truncated XML at {where} ({check.error}): kept the "
                f"{len(parsed.entries)} complete item(s) before it, dropped the rest"
            )
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        error = parsed.get("bozo_exception")
        detail = f" ({error})" if error else ""
        raise FeedError(f"not an RSS, Atom or RDF feed{detail}")
    feed = parsed.get("feed") or {}
    item_base = base or feed.get("link") or None
    atom = version.startswith("atom")
    items = tuple(_raw_item(i, e, item_base, atom) for i, e in enumerate(entries, start=1))
    return XmlFeed(
        kind=version or "unknown",
        title=feed.get("title") or None,
        items=items,
        warnings=tuple(warnings),
        complete=complete,
    )
