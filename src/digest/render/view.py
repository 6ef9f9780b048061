"""The data the templates see: plain values derived from the edition, config and locale (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from digest.config import Config, Segment
from digest.models import Article, Edition, EditionItem
from digest.render.colors import Palette, palette
from digest.render.localisation import (
    local_datetime,
    locale_direction,
    long_date,
    number,
    text_direction,
    timezone_label,
    translations,
)
from digest.render.placeholders import HTML_TOKENS, TEXT_TOKENS, defuse

LEAD_EXCERPT_CHARS = 420
EXCERPT_CHARS = 220
PREHEADER_CHARS = 140


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of content with its own writing direction (for mixed Hebrew/English)."""

    value: str
    dir: str

    def __str__(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True, slots=True)
class ArticleView:
    """One article as the templates show it."""

    position: int
    title: Text
    url: str
    author: Text | None
    read_time: str
    published: str
    topic: str | None
    excerpt: Text
    key_points: tuple[Text, ...]
    image_url: str | None
    image_alt: str


@dataclass(frozen=True, slots=True)
class DisclaimerView:
    """A configured disclaimer: its exact text and the link to the full text."""

    id: str
    text: Text
    link: str | None


@dataclass(frozen=True, slots=True)
class CallToActionView:
    heading: Text
    text: Text
    button: Text
    url: str


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    clean = " ".join(text.split())
    if len(clean) <= limit:
        return clean
    cut = clean[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:—-") + "…"


def _text(value: str, default_dir: str) -> Text:
    clean = defuse(" ".join(value.split()))
    return Text(clean, text_direction(clean, default_dir))


def topic_label(topic: str, locale: str) -> str:
    """A topic key shown as a label, translated through the catalog when it has an entry."""
    label = topic.replace("-", " ").replace("_", " ").strip().capitalize()
    return str(translations(locale).pgettext("topic", label))


def edition_title(segment: Segment, locale: str) -> str:
    """The segment's title, or a localised '<Topic> digest' made from its name."""
    if segment.title:
        return segment.title
    base = segment.name
    for suffix in (f"-{locale}", f"_{locale}"):
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
    label = topic_label(base, locale)
    return translations(locale).gettext("%(topic)s digest") % {"topic": label}


def article_view(
    item: EditionItem, segment: Segment, locale: str, excerpt_chars: int
) -> ArticleView:
    """Derive what the templates show for one edition item."""
    a: Article = item.article
    default_dir = locale_direction(locale)
    t = translations(locale)
    minutes = max(1, a.read_minutes)
    read_time = t.ngettext("%(num)s min read", "%(num)s min read", minutes) % {
        "num": number(minutes, locale)
    }
    title = _text(a.title, default_dir)
    return ArticleView(
        position=item.position,
        title=title,
        url=a.url,
        author=_text(a.author, default_dir) if a.author and a.author.strip() else None,
        read_time=read_time,
        published=local_datetime(a.published_at, segment.timezone, locale),
        topic=topic_label(item.primary_topic, locale) if item.primary_topic else None,
        excerpt=_text(shorten(a.summary, excerpt_chars), default_dir),
        key_points=tuple(_text(p, default_dir) for p in a.key_points if p.strip()),
        image_url=a.image_url,
        image_alt=title.value,
    )


def build_view(
    edition: Edition,
    items: tuple[EditionItem, ...],
    *,
    config: Config,
    segment: Segment,
    locale: str,
    subject: str,
    browser_url: str,
    dropped: int,
) -> dict[str, object]:
    """The full template context for one render of the edition with ``items``."""
    direction = locale_direction(locale)
    lead, rest = items[0], items[1:]
    pub = config.publication
    colours: Palette = palette(config.email.brand_color)
    cta = config.email.call_to_action
    lead_view = article_view(lead, segment, locale, LEAD_EXCERPT_CHARS)
    preheader = shorten(
        " · ".join(p.value for p in lead_view.key_points[:1]) or lead_view.excerpt.value,
        PREHEADER_CHARS,
    )
    note = edition.editor_note or ""
    return {
        "lang": locale,
        "dir": direction,
        "start": "right" if direction == "rtl" else "left",
        "end": "left" if direction == "rtl" else "right",
        "subject": defuse(subject),
        "preheader": defuse(preheader),
        "publication": {
            "name": pub.name,
            "website": str(pub.website),
            "logo_url": str(pub.logo_url) if pub.logo_url else None,
            "postal_address": " ".join(pub.postal_address.split()),
            "name_dir": text_direction(pub.name, direction),
            "address_dir": text_direction(pub.postal_address, direction),
        },
        "edition_title": edition_title(segment, locale),
        "edition_date": long_date(edition.edition_date, locale),
        "edition_date_iso": edition.edition_date.isoformat(),
        "timezone_label": timezone_label(segment.timezone, locale),
        "editor_note": [_text(p, direction) for p in note.split("\n\n") if p.strip()],
        "lead": lead_view,
        "articles": [article_view(i, segment, locale, EXCERPT_CHARS) for i in rest],
        "story_count": len(items),
        "story_count_text": number(len(items), locale),
        "dropped": dropped,
        "dropped_text": number(dropped, locale),
        "cta": CallToActionView(
            heading=_text(cta.heading, direction),
            text=_text(cta.text, direction),
            button=_text(cta.button, direction),
            url=str(cta.url),
        )
        if cta
        else None,
        "disclaimers": [
            DisclaimerView(d.id, _text(d.text, direction), str(d.link) if d.link else None)
            for d in config.disclaimers
        ],
        "browser_url": browser_url,
        "html": dict(HTML_TOKENS),
        "txt": dict(TEXT_TOKENS),
        "colors": colours,
    }
