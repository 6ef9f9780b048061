"""The words readers see: gettext catalogs (emails and web pages) and the config's own texts.

One catalog per language, ``digest/locale/<lang>/LC_MESSAGES/digest.po``, compiled to the
``digest.mo`` beside it (committed, so a fresh ``pip install -e .`` needs no build step).
docs/architecture.md ("Reader-facing words") says how a string is added: mark it, extract,
translate, compile. English is the source language: an untranslated string shows its msgid.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

from digest.config import text_in

if TYPE_CHECKING:
    from digest.config import Config, Segment

DOMAIN = "digest"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@lru_cache(maxsize=16)
def translations(locale: str) -> NullTranslations:
    """The gettext catalog for ``locale`` (English source strings when there is none)."""
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extraction looks for
    """Mark ``message`` for extraction where it is defined; it is translated where shown."""
    return message


def NP_(context: str, message: str) -> str:  # noqa: N802 - extracted as NP_:1c,2
    """Like ``N_`` for a message with a gettext context."""
    return message


# Topic keys a publisher is likely to use, so their labels are translated without a
# ``topics.<key>.label`` in the config (the key is capitalised, then looked up).
COMMON_TOPIC_WORDS = (
    NP_("topic", "Markets"),
    NP_("topic", "Tech"),
    NP_("topic", "Autos"),
    NP_("topic", "Crypto"),
    NP_("topic", "Commodities"),
    NP_("topic", "Economy"),
    NP_("topic", "Stocks"),
    NP_("topic", "Forex"),
    NP_("topic", "Indices"),
    NP_("topic", "Energy"),
)


@lru_cache(maxsize=16)
def language_name(locale: str) -> str:
    """The language's name in that language ('English', 'עברית'), from CLDR."""
    try:
        name = Locale.parse(locale).get_display_name(locale)
    except (UnknownLocaleError, ValueError):
        return locale
    return name or locale


@lru_cache(maxsize=16)
def direction(locale: str) -> str:
    """'rtl' for right-to-left languages (Hebrew, Arabic …), else 'ltr'."""
    try:
        order = Locale.parse(locale).character_order
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def topic_label(config: Config, topic: str, locale: str) -> str:
    """A topic as readers see it: ``topics.<key>.label`` for the locale, else the catalog's
    translation of the key written as a word, else that word."""
    configured = config.topics.get(topic)
    own = text_in(configured.label, locale) if configured is not None else None
    if own:
        return " ".join(own.split())
    label = topic.replace("-", " ").replace("_", " ").strip().capitalize()
    return str(translations(locale).pgettext("topic", label))


def segment_title(config: Config, segment: Segment, locale: str) -> str:
    """The segment's title for the locale (``segments[].title``), or a localised
    '<Topic> digest' made from its name ('markets-en' -> 'Markets digest', 'סיכום שווקים')."""
    own = text_in(segment.title, locale)
    if own:
        return " ".join(own.split())
    base = segment.name
    for code in segment.send_locales:
        for suffix in (f"-{code}", f"_{code}"):
            if base.endswith(suffix) and len(base) > len(suffix):
                base = base[: -len(suffix)]
    label = topic_label(config, base, locale)
    return str(translations(locale).gettext("%(topic)s digest")) % {"topic": label}
