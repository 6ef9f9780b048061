"""From a RawItem to an Article: canonical URL, safe text and HTML, dates, read time."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from digest.ingest.items import RawItem
from digest.ingest.keypoints import split_key_points_html, split_key_points_text, tidy_points
from digest.ingest.sanitize import sanitize_html, text_to_html, truncate_html
from digest.ingest.text import (
    clean_text,
    html_to_text,
    read_minutes,
    truncate_text,
    word_count,
)
from digest.ingest.urls import canonical_url, http_url
from digest.models import Article

TITLE_MAX = 300  # characters of plain text
SUMMARY_MAX = 600  # characters of text, for both the plain summary and summary_html
AUTHOR_MAX = 200
CATEGORY_MAX = 100
MAX_CATEGORIES = 20
UID_MAX = 512  # the width of articles.uid
# a digest says "n min read"; past two hours the figure tells a reader nothing true (a 5 MB
# description is not a three-day read), so given or counted, read times stop here
MAX_READ_MINUTES = 120

_EMAIL = r"[^\s@<>()]+@[^\s@<>()]+"
_AUTHOR_EMAIL_NAME = re.compile(rf"^\s*{_EMAIL}\s*\((.+)\)\s*$")
_AUTHOR_NAME_EMAIL = re.compile(rf"^\s*(.+?)\s*<{_EMAIL}>\s*$")
_AUTHOR_NAME_PAREN_EMAIL = re.compile(rf"^\s*(.+?)\s*\(\s*(?:mailto:)?{_EMAIL}\s*\)\s*$")
_ONLY_EMAIL = re.compile(rf"^\s*(?:mailto:)?{_EMAIL}\s*$")


class SkipItem(Exception):
    """This item cannot become an article; the message says why."""


def make_uid(source: str, key: str) -> str:
    """The stored id of an item: ``source:key``, hashed when too long for the column."""
    uid = f"{source}:{key}"
    if len(uid) <= UID_MAX:
        return uid
    return f"{source}:sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


def author_name(raw: str | None) -> str | None:
    """A display name from an RSS/Atom author value; bare e-mail addresses are dropped."""
    if not raw:
        return None
    text = html_to_text(raw) if "<" in raw and ">" in raw and "@" not in raw else raw
    text = clean_text(text)
    for pattern in (_AUTHOR_EMAIL_NAME, _AUTHOR_NAME_EMAIL, _AUTHOR_NAME_PAREN_EMAIL):
        match = pattern.match(text)
        if match:
            text = clean_text(match.group(1))
            break
    if not text or _ONLY_EMAIL.match(text):
        return None
    return truncate_text(text, AUTHOR_MAX)


def clean_categories(values: tuple[str, ...]) -> tuple[str, ...]:
    """Category names as plain text, without blanks or case-insensitive repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        text = truncate_text(clean_text(value or ""), CATEGORY_MAX)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return tuple(out[:MAX_CATEGORIES])


def _article_url(raw: RawItem) -> str:
    for link in raw.links:
        url = canonical_url(link, raw.base)
        if url:
            return url
    if raw.links:
        shown = ", ".join(repr(link) for link in raw.links[:2])
        raise SkipItem(f"no http(s) article link (got {shown})")
    raise SkipItem("no article link")


def _as_html(text: str, is_html: bool) -> tuple[tuple[str, ...], str]:
    if is_html:
        return split_key_points_html(text)
    points, rest = split_key_points_text(text)
    return points, text_to_html(rest)


def normalise_item(raw: RawItem, *, source: str, now: datetime, words_per_minute: int) -> Article:
    """The Article for ``raw``; raises SkipItem with the reason when it cannot be one."""
    url = _article_url(raw)
    guid = clean_text(raw.guid or "")
    uid = make_uid(source, guid or url)

    content_points, content_html = _as_html(raw.content, raw.content_is_html)
    summary_points, summary_src = _as_html(raw.summary, raw.summary_is_html)
    key_points = tidy_points(raw.key_points) or content_points or summary_points

    summary_text = html_to_text(summary_src)
    content_text = html_to_text(content_html)
    body_html, body_text = (
        (summary_src, summary_text) if summary_text else (content_html, content_text)
    )
    summary = truncate_text(body_text, SUMMARY_MAX)
    summary_html = truncate_html(sanitize_html(body_html, raw.base), SUMMARY_MAX)

    title = html_to_text(raw.title) if raw.title_is_html else clean_text(raw.title)
    if not title:
        if not body_text:
            raise SkipItem("no title and no summary")
        title = truncate_text(body_text, 100)
    title = truncate_text(title, TITLE_MAX)

    if raw.read_minutes is not None and 0 < raw.read_minutes <= MAX_READ_MINUTES:
        minutes = raw.read_minutes
    else:
        words = max(
            word_count(content_text) + sum(word_count(p) for p in key_points),
            word_count(body_text),
        )
        minutes = min(read_minutes(words, words_per_minute), MAX_READ_MINUTES)

    image = next((u for u in (http_url(i, raw.base) for i in raw.images) if u), None)
    return Article(
        uid=uid,
        source=source,
        url=url,
        title=title,
        summary=summary,
        summary_html=summary_html,
        author=author_name(raw.author),
        categories=clean_categories(raw.categories),
        published_at=raw.published or now,
        first_seen_at=now,
        read_minutes=minutes,
        image_url=image,
        key_points=key_points,
    )
