"""Locale-aware pieces: gettext catalogs, text direction, and dates, times and numbers per locale.

The gettext catalogs themselves are ``digest.i18n`` (shared with the web pages).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location
from babel.numbers import format_decimal

from digest.i18n import LOCALE_DIR, translations  # noqa: F401 - re-exported for render
from digest.render.errors import RenderError

# A bare "en" means international English (CLDR en_001: "30 January 2026", 24-hour clock
# where the locale prefers it) rather than US conventions; a locale with a territory is kept.
_FORMAT_LOCALES = {"en": "en_001"}
_RTL_BIDI = {"R", "AL"}
_LTR_BIDI = {"L"}


@lru_cache(maxsize=16)
def babel_locale(locale: str) -> Locale:
    """The Babel locale used for formatting; RenderError when the locale is unknown."""
    try:
        return Locale.parse(_FORMAT_LOCALES.get(locale, locale))
    except (UnknownLocaleError, ValueError) as exc:
        raise RenderError(f"unknown locale {locale!r}: {exc}") from None


def locale_direction(locale: str) -> str:
    """'rtl' for right-to-left languages (Hebrew, Arabic …), else 'ltr'."""
    return "rtl" if babel_locale(locale).character_order == "right-to-left" else "ltr"


def text_direction(text: str, default: str) -> str:
    """The direction of ``text`` from its first strong character, else ``default``."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in _RTL_BIDI:
            return "rtl"
        if bidi in _LTR_BIDI:
            return "ltr"
    return default


# The script of a piece's first strong letter -> the language it is taken to be in, for
# ``lang`` on pieces in another language than the email (digest's languages: en, he).
_SCRIPT_LANGUAGES = {"HEBREW": "he", "ARABIC": "ar", "LATIN": "en"}


def text_language(text: str, locale: str) -> str | None:
    """The language of ``text`` when it is written in another script than ``locale``'s
    ('en' for an English title in a Hebrew email), else None."""
    for ch in text:
        if unicodedata.bidirectional(ch) in ("L", "R", "AL"):
            script = unicodedata.name(ch, "").split(" ", 1)[0]
            found = _SCRIPT_LANGUAGES.get(script)
            own = locale.replace("_", "-").split("-")[0].lower()
            return found if found is not None and found != own else None
    return None


def long_date(value: date, locale: str) -> str:
    """A date written out for ``locale``, e.g. '30 January 2026' or '30 בינואר 2026'."""
    return format_date(value, "long", locale=babel_locale(locale))


def local_datetime(value: datetime, timezone: str, locale: str) -> str:
    """An absolute local time in ``timezone``, e.g. '30 Jan, 07:12' (never 'x minutes ago')."""
    loc = babel_locale(locale)
    tz = ZoneInfo(timezone)
    day = format_skeleton("MMMd", value, tzinfo=tz, locale=loc)
    clock = format_time(value, "short", tzinfo=tz, locale=loc)
    pattern = str(loc.datetime_formats.get("short", "{1} {0}"))
    return pattern.replace("{1}", day).replace("{0}", clock).replace("'", "")


def timezone_label(timezone: str, locale: str) -> str:
    """The timezone's name in ``locale``, e.g. 'United Kingdom Time' or 'שעון ישראל'."""
    return str(get_timezone_location(ZoneInfo(timezone), locale=babel_locale(locale)))


def number(value: int | float, locale: str) -> str:
    """A number formatted for ``locale``."""
    return format_decimal(value, locale=babel_locale(locale))
