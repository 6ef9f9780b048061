"""The data the templates see: plain values derived from the edition, config and locale (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from digest.config import CallToAction, Config, Disclaimer, Segment, text_in
from digest.i18n import segment_title, topic_label
from digest.models import Article, Edition, EditionItem
from digest.render.colors import Palette, palette
from digest.render.localisation import (
    local_datetime,
    locale_direction,
    long_date,
    number,
    text_direction,
    text_language,
    timezone_label,
    translations,
)
from digest.render.placeholders import HTML_TOKENS, TEXT_TOKENS, defuse

LEAD_EXCERPT_CHARS = 420
EXCERPT_CHARS = 220
PREHEADER_CHARS = 140


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of content with its own writing direction (for mixed Hebrew/English), and its
    language when that is not the email's."""

    value: str
    dir: str
    lang: str | None = None

    def __str__(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)

    @property
    def align(self) -> str:
        """'left' or 'right': where a block of this text starts (email clients lack 'start')."""
        return "right" if self.dir == "rtl" else "left"


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

    @property
    def dir(self) -> str:
        """The article's direction: its title's (the block aligns with it)."""
        return self.title.dir

    @property
    def align(self) -> str:
        return self.title.align

    @property
    def lang(self) -> str | None:
        """The article's language when it is not the email's (its title's script)."""
        return self.title.lang


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


_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """``text`` as the characters a reader sees (a letter with its marks, a whole emoji)."""
    return _GRAPHEME.findall(text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (graphemes, so no
    letter loses its marks and no emoji is split), with an ellipsis."""
    clean = " ".join(text.split())
    chars = graphemes(clean)
    if len(chars) <= limit:
        return clean
    cut = chars[: max(1, limit - 1)]
    if " " in cut:
        cut = cut[: len(cut) - 1 - cut[::-1].index(" ")]
    return "".join(cut).rstrip(" ,.;:—-|·") + "…"


def _text(value: str, locale: str) -> Text:
    """``value`` as one line with its own direction (the locale's when it has no letters)."""
    clean = defuse(" ".join(value.split()))
    return Text(
        clean, text_direction(clean, locale_direction(locale)), text_language(clean, locale)
    )


def edition_title(config: Config, segment: Segment, locale: str) -> str:
    """The segment's title in ``locale`` (see ``digest.i18n.segment_title``)."""
    return segment_title(config, segment, locale)


def article_view(
    item: EditionItem, config: Config, segment: Segment, locale: str, excerpt_chars: int
) -> ArticleView:
    """Derive what the templates show for one edition item."""
    a: Article = item.article
    t = translations(locale)
    minutes = max(1, a.read_minutes)
    read_time = t.ngettext("%(num)s min read", "%(num)s min read", minutes) % {
        "num": number(minutes, locale)
    }
    title = _text(a.title, locale)
    return ArticleView(
        position=item.position,
        title=title,
        url=a.url,
        author=_text(a.author, locale) if a.author and a.author.strip() else None,
        read_time=read_time,
        published=local_datetime(a.published_at, segment.timezone, locale),
        topic=topic_label(config, item.primary_topic, locale) if item.primary_topic else None,
        excerpt=_text(shorten(a.summary, excerpt_chars), locale),
        key_points=tuple(_text(p, locale) for p in a.key_points if p.strip()),
        image_url=a.image_url,
        image_alt=title.value,
    )


def call_to_action_view(cta: CallToAction | None, locale: str) -> CallToActionView | None:
    """The call to action in ``locale``; None (left out) when it has no text for the locale."""
    if cta is None:
        return None
    parts = [text_in(v, locale) for v in (cta.heading, cta.text, cta.button, cta.url)]
    heading, text, button, url = parts
    if heading is None or text is None or button is None or url is None:
        return None
    return CallToActionView(
        heading=_text(heading, locale),
        text=_text(text, locale),
        button=_text(button, locale),
        url=url.strip(),
    )


def disclaimer_views(disclaimers: list[Disclaimer], locale: str) -> list[DisclaimerView]:
    """The disclaimers that have a text in ``locale``, in that text (the config check makes
    sure every required one has)."""
    out = []
    for d in disclaimers:
        text = text_in(d.text, locale)
        if text is not None:
            link = text_in(d.link, locale)
            out.append(DisclaimerView(d.id, _text(text, locale), link.strip() if link else None))
    return out


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
    preheader: str | None = None,
    web: bool = False,
) -> dict[str, object]:
    """The full template context for one render of the edition with ``items``."""
    direction = locale_direction(locale)
    lead, rest = items[0], items[1:]
    pub = config.publication
    colours: Palette = palette(config.email.brand_color)
    lead_view = article_view(lead, config, segment, locale, LEAD_EXCERPT_CHARS)
    if preheader is None:
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
        "edition_title": edition_title(config, segment, locale),
        "edition_title_text": _text(edition_title(config, segment, locale), locale),
        "edition_date": long_date(edition.edition_date, locale),
        "edition_date_iso": edition.edition_date.isoformat(),
        "timezone_label": timezone_label(segment.timezone, locale),
        "editor_note": [_text(p, locale) for p in note.split("\n\n") if p.strip()],
        "lead": lead_view,
        "articles": [article_view(i, config, segment, locale, EXCERPT_CHARS) for i in rest],
        "story_count": len(items),
        "story_count_text": number(len(items), locale),
        "dropped": dropped,
        "dropped_text": number(dropped, locale),
        "cta": call_to_action_view(config.email.call_to_action, locale),
        "disclaimers": disclaimer_views(config.disclaimers, locale),
        "browser_url": browser_url,
        "web": web,
        "subscribe_url": f"{pub.base_url}/subscribe?lang={locale}",
        "html": dict(HTML_TOKENS),
        "txt": dict(TEXT_TOKENS),
        "colors": colours,
    }
