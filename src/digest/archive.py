"""The edition archive: past sent editions per segment, their neighbours and Atom feeds.

Only sent editions are listed; nothing personal appears (the pages are the edition as any
reader would see it, with neutral personal parts).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from urllib.parse import quote
from xml.etree import ElementTree as ET

from digest.app import App
from digest.store import archive as store
from digest.store.editions import edition_for

PAGE_SIZE = 20
INDEX_PER_SEGMENT = 5
FEED_ENTRIES = 20
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    day: date
    subject: str
    url: str
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class SegmentArchive:
    """One page of a segment's sent editions."""

    name: str
    title: str
    locale: str
    entries: tuple[ArchiveEntry, ...]
    total: int
    page: int
    pages: int
    url: str
    feed_url: str


@dataclass(frozen=True, slots=True)
class EditionNav:
    """Links from an edition page to its neighbours and to the segment's archive."""

    previous_url: str | None
    next_url: str | None
    all_url: str


def _segment_url(app: App, segment: str) -> str:
    return f"{app.links.base_url}/e/{quote(segment)}/"


def segment_archive(app: App, segment_name: str, page: int = 1) -> SegmentArchive | None:
    """A page of the segment's sent editions; None for an unknown segment or empty page."""
    segment = next((s for s in app.config.segments if s.name == segment_name), None)
    if segment is None or page < 1:
        return None
    per_page = PAGE_SIZE
    with app.engine.connect() as conn:
        total = store.sent_edition_count(conn, segment.name)
        rows = store.sent_editions(conn, segment.name, limit=per_page, offset=(page - 1) * per_page)
    if page > 1 and not rows:
        return None
    entries = tuple(
        ArchiveEntry(day, subject, app.links.browser_url(segment.name, day.isoformat()), sent_at)
        for day, subject, sent_at in rows
    )
    return SegmentArchive(
        name=segment.name,
        title=segment.display_title,
        locale=segment.locale,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        url=_segment_url(app, segment.name),
        feed_url=_segment_url(app, segment.name) + "feed.xml",
    )


def archive_index(app: App) -> list[SegmentArchive]:
    """Every segment with its latest sent editions (the /e/ page)."""
    out = []
    for segment in app.config.segments:
        found = segment_archive(app, segment.name)
        if found is not None:
            out.append(replace(found, entries=found.entries[:INDEX_PER_SEGMENT]))
    return out


def edition_nav(app: App, segment: str, day: date) -> EditionNav:
    """The previous and next sent editions of the segment around ``day``."""
    with app.engine.connect() as conn:
        before, after = store.sent_neighbours(conn, segment, day)
    url = app.links.browser_url
    return EditionNav(
        previous_url=url(segment, before.isoformat()) if before else None,
        next_url=url(segment, after.isoformat()) if after else None,
        all_url=_segment_url(app, segment),
    )


_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
_HEAD_END = re.compile(r"</head>", re.IGNORECASE)
_FIRST_H2 = re.compile(r"<h2\b", re.IGNORECASE)


def decorate_edition_page(
    page: str, nav: EditionNav, labels: dict[str, str], direction: str
) -> str:
    """The edition page with links to its neighbours and an anchor at the top story (pure)."""
    links = []
    if nav.previous_url:
        links.append(
            f'<a rel="prev" href="{html.escape(nav.previous_url)}">'
            f"{html.escape(labels['previous'])}</a>"
        )
    links.append(f'<a href="{html.escape(nav.all_url)}">{html.escape(labels["all"])}</a>')
    if nav.next_url:
        links.append(
            f'<a rel="next" href="{html.escape(nav.next_url)}">{html.escape(labels["next"])}</a>'
        )
    bar = (
        f'<nav aria-label="{html.escape(labels["nav"])}" dir="{direction}" '
        'style="max-width:600px;margin:0 auto;padding:12px 16px;display:flex;gap:16px;'
        'flex-wrap:wrap;justify-content:space-between;font:15px/1.4 system-ui,sans-serif">'
        + "".join(links)
        + "</nav>"
    )
    head_links = "".join(
        f'<link rel="{rel}" href="{html.escape(url)}">'
        for rel, url in (("prev", nav.previous_url), ("next", nav.next_url))
        if url
    )
    page = _HEAD_END.sub(lambda m: head_links + m.group(0), page, count=1)
    page = _BODY.sub(lambda m: m.group(0) + bar, page, count=1)
    # the lead story's headline is the page's first h2: the notifications link to it
    return _FIRST_H2.sub(lambda m: '<span id="top-story"></span>' + m.group(0), page, count=1)


def _entry_html(app: App, segment: str, day: date) -> str:
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment, day)
    if edition is None:
        return ""
    items = "".join(
        f'<li><a href="{html.escape(i.article.url)}">{html.escape(i.article.title)}</a>'
        + (f"<p>{html.escape(i.article.summary)}</p>" if i.article.summary else "")
        + "</li>"
        for i in edition.items
    )
    return f"<ol>{items}</ol>"


def atom_feed(app: App, segment_name: str, now: datetime) -> bytes | None:
    """The segment's Atom feed of its latest sent digests; None for an unknown segment."""
    found = segment_archive(app, segment_name)
    if found is None:
        return None
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: found.locale})
    publication = app.config.publication.name
    sub(feed, "id", found.url)
    sub(feed, "title", f"{publication} — {found.title}")
    updated = max((e.sent_at for e in found.entries if e.sent_at), default=None) or now
    sub(feed, "updated", updated.isoformat())
    sub(feed, "link", rel="self", href=found.feed_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=found.url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", publication)
    for entry in found.entries[:FEED_ENTRIES]:
        el = sub(feed, "entry")
        sub(el, "id", entry.url)
        sub(el, "title", entry.subject or f"{found.title} {entry.day.isoformat()}")
        sub(el, "updated", (entry.sent_at or now).isoformat())
        sub(el, "link", rel="alternate", href=entry.url, type="text/html")
        sub(el, "content", _entry_html(app, found.name, entry.day), type="html")
    body = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")
