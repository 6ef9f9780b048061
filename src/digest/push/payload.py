"""The notification an edition becomes (pure): title, top headlines, link, images, language.

One payload per (segment, locale). The encrypted body of a push may be at most 4,096
bytes; aes128gcm adds an 86-byte header (salt, record size, sender key) and 17 bytes per
record (delimiter and tag), so the JSON may take 3,993 bytes. Headlines are cut at whole
words (never inside a character and its combining marks); when the JSON is still too big,
fewer headlines are sent.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date

from digest.models import Edition

MAX_ENCRYPTED = 4096
ENCRYPTION_OVERHEAD = 86 + 17
PLAINTEXT_LIMIT = MAX_ENCRYPTED - ENCRYPTION_OVERHEAD
TITLE_CHARS = 120
HEADLINE_CHARS = (140, 90, 50)
ELLIPSIS = "…"
RTL_LOCALES = frozenset({"he", "ar", "fa", "ur", "yi"})
# the notification's action buttons, per locale (English for any other)
ACTION_TITLES = {
    "en": {"open": "Open", "preferences": "Preferences"},
    "he": {"open": "פתיחה", "preferences": "העדפות"},
}


class PayloadTooLarge(ValueError):
    """Even the smallest notification does not fit the byte limit given."""


@dataclass(frozen=True, slots=True)
class NotificationContext:
    """What the notification needs besides the edition; no clock, no database."""

    publication: str
    segment_title: str
    locale: str
    title: str  # the edition's title in the locale (publication, segment, date)
    edition_url: str  # the edition's web page
    preferences_url: str
    icon_url: str
    badge_url: str
    topic: str


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification ready to encrypt: its JSON bytes and what went into it."""

    payload: bytes
    title: str
    headlines: tuple[str, ...]
    url: str


def topic_for(segment: str) -> str:
    """The Topic header (≤ 32 URL-safe characters) under which a newer digest replaces one."""
    if len(segment) <= 32:
        return segment
    return hashlib.sha256(segment.encode()).hexdigest()[:32]


def direction(locale: str) -> str:
    """``rtl`` for right-to-left languages, else ``ltr``."""
    return "rtl" if locale.split("-")[0] in RTL_LOCALES else "ltr"


def _safe_cut(text: str, limit: int) -> int:
    """A cut position ≤ limit that does not split a character from its combining marks."""
    cut = limit
    while 0 < cut < len(text) and (
        unicodedata.combining(text[cut]) or text[cut] in "\u200d\ufe0e\ufe0f"
    ):
        cut -= 1
    if 0 < cut < len(text) and 0xDC00 <= ord(text[cut]) <= 0xDFFF:  # never half a pair
        cut -= 1
    return cut


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = _safe_cut(text, limit - 1)
    space = text.rfind(" ", 0, cut + 1)
    if space >= limit // 2:
        cut = space
    return text[:cut].rstrip(" ,;:-–—") + ELLIPSIS


def edition_title(publication: str, segment_title: str, edition_date: date, locale: str) -> str:
    """The default title: publication, segment and the date written out in the locale."""
    from digest.render.localisation import long_date

    return f"{publication} — {segment_title}, {long_date(edition_date, locale)}"


def _payload(
    edition: Edition, ctx: NotificationContext, headlines: tuple[str, ...], url: str
) -> bytes:
    labels = ACTION_TITLES.get(ctx.locale.split("-")[0], ACTION_TITLES["en"])
    body = "\n".join(f"• {h}" for h in headlines) if len(headlines) > 1 else "".join(headlines)
    data = {
        "title": shorten(ctx.title, TITLE_CHARS),
        "body": body,
        "icon": ctx.icon_url,
        "badge": ctx.badge_url,
        "lang": ctx.locale,
        "dir": direction(ctx.locale),
        "tag": ctx.topic,
        "actions": [
            {"action": "open", "title": labels["open"]},
            {"action": "preferences", "title": labels["preferences"]},
        ],
        "data": {
            "url": url,
            "preferences": ctx.preferences_url,
            "segment": edition.segment,
            "edition": edition.edition_date.isoformat(),
        },
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_notification(
    edition: Edition,
    ctx: NotificationContext,
    *,
    max_headlines: int = 3,
    max_bytes: int = PLAINTEXT_LIMIT,
) -> Notification:
    """The notification for ``edition`` in ``ctx.locale``, its JSON within ``max_bytes``."""
    titles = [item.article.title for item in edition.items[: max(1, max_headlines)]]
    url = f"{ctx.edition_url}#top-story" if titles else ctx.edition_url
    for count in range(len(titles), -1, -1):
        for limit in HEADLINE_CHARS:
            headlines = tuple(shorten(t, limit) for t in titles[:count])
            payload = _payload(edition, ctx, headlines, url)
            if len(payload) <= max_bytes:
                return Notification(payload, shorten(ctx.title, TITLE_CHARS), headlines, url)
            if count == 0:
                break
    raise PayloadTooLarge(f"the smallest notification is over {max_bytes} bytes")
