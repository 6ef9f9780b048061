"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org), read into the same RawItem as RSS and Atom.

Besides the standard fields, an item may carry the extension object ``_digest`` with
``key_points`` (a list of strings) and ``read_minutes`` (a whole number).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from digest.ingest.errors import FeedError
from digest.ingest.items import RawItem

VERSION_PREFIX = "https://jsonfeed.org/version/"


@dataclass(frozen=True, slots=True)
class JsonFeed:
    """The items of a JSON Feed and what was noticed while reading it."""

    kind: str  # json1 or json1.1
    title: str | None
    items: tuple[RawItem, ...]
    warnings: tuple[str, ...] = ()


def looks_like_json(text: str, media_type: str) -> bool:
    """True when the content is (meant to be) JSON rather than XML."""
    return "json" in media_type or text.lstrip("\ufeff \t\r\n").startswith("{")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _author(item: dict[str, Any], feed: dict[str, Any]) -> str | None:
    for holder in (item, feed):
        authors = holder.get("authors")
        if isinstance(authors, list):
            names = [
                str(a["name"])
                for a in authors
                if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
            ]
            if names:
                return ", ".join(names)
        author = holder.get("author")
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return str(author["name"])
    return None


def _images(item: dict[str, Any]) -> tuple[str, ...]:
    found = [_text(item.get("image")), _text(item.get("banner_image"))]
    for attachment in item.get("attachments") or []:
        if isinstance(attachment, dict) and _text(attachment.get("mime_type")).startswith("image/"):
            found.append(_text(attachment.get("url")))
    return tuple(u for u in dict.fromkeys(found) if u)


def _raw_item(position: int, item: Any, feed: dict[str, Any], base: str | None) -> RawItem:
    if not isinstance(item, dict):
        return RawItem(position, None, (), "", False, "", False, "", False, None, (), None)
    guid = item.get("id")
    ext = item.get("_digest")
    extension: dict[str, Any] = ext if isinstance(ext, dict) else {}
    points = extension.get("key_points")
    minutes = extension.get("read_minutes")
    content_html = _text(item.get("content_html"))
    content_text = _text(item.get("content_text"))
    raw_tags = item.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    return RawItem(
        position=position,
        guid=str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
        links=tuple(u for u in (_text(item.get("url")), _text(item.get("external_url"))) if u),
        title=_text(item.get("title")),
        title_is_html=False,
        summary=_text(item.get("summary")),
        summary_is_html=False,
        content=content_html or content_text,
        content_is_html=bool(content_html),
        author=_author(item, feed),
        categories=tuple(t for t in tags if isinstance(t, str)),
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        images=_images(item),
        key_points=tuple(p for p in points if isinstance(p, str))
        if isinstance(points, list)
        else (),
        read_minutes=minutes if type(minutes) is int else None,
        base=base,
    )


def parse_json_feed(text: str, base: str | None) -> JsonFeed:
    """Items of a JSON Feed document; FeedError when it is not valid JSON Feed."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise FeedError("not a JSON Feed: the top level is not an object")
    version = doc.get("version")
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIX):
        raise FeedError(f"not a JSON Feed: version must start with {VERSION_PREFIX}")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("not a JSON Feed: 'items' is missing or not a list")
    item_base = base or _text(doc.get("home_page_url")) or _text(doc.get("feed_url")) or None
    kind = "json" + version.removeprefix(VERSION_PREFIX)
    raw = tuple(_raw_item(i, it, doc, item_base) for i, it in enumerate(items, start=1))
    return JsonFeed(kind=kind, title=_text(doc.get("title")) or None, items=raw)
