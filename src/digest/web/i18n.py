"""The words of the web pages and service emails, through the same gettext catalogs as the
digest emails (``digest.i18n``).

Templates write ``{{ _("Subscribe to %(publication)s", publication=...) }}`` or
``{% trans %}…{% endtrans %}``; the page's ``locale`` (in every template's context) picks the
catalog, so one Jinja environment serves every language. Python code marks words with
``N_`` where they are defined and translates them with ``Translator(locale)`` where shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from digest.i18n import direction, translations

DEFAULT_LOCALE = "en"


def _locale_of(context: Context) -> str:
    locale = context.get("locale")
    if not isinstance(locale, str) or not locale:
        name = context.name or "a template"
        raise RuntimeError(f"{name} used _() without a 'locale' in its context")
    return locale


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(translations(_locale_of(context)).gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(translations(_locale_of(context)).ngettext(singular, plural, n))


@pass_context
def _pgettext(context: Context, ctx: str, message: str) -> str:
    return str(translations(_locale_of(context)).pgettext(ctx, message))


@pass_context
def _npgettext(context: Context, ctx: str, singular: str, plural: str, n: int) -> str:
    return str(translations(_locale_of(context)).npgettext(ctx, singular, plural, n))


@pass_context
def _long_date(context: Context, value: date | datetime | None) -> str:
    """A date written out in the page's language ('30 January 2026', '30 בינואר 2026')."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return str(format_date(day, "long", locale=_babel_locale(_locale_of(context))))


def _babel_locale(locale: str) -> str:
    return "en_001" if locale == "en" else locale  # international English, as in the emails


def install_i18n(env: Environment) -> None:
    """Give ``env`` the i18n extension bound to the catalogs, and a ``long_date`` filter."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters["long_date"] = _long_date
    env.filters["direction"] = direction


@dataclass(frozen=True, slots=True)
class Translator:
    """Words for one locale in Python code: ``t(N_("Hello %(name)s"), name=...)``."""

    locale: str

    @property
    def direction(self) -> str:
        """``rtl`` for right-to-left locales, else ``ltr``."""
        return direction(self.locale)

    def __call__(self, message: str, **values: Any) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled from ``values``."""
        text = str(translations(self.locale).gettext(message))
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The singular or plural form for ``n``, filled like ``__call__``."""
        text = str(translations(self.locale).ngettext(singular, plural, n))
        return text % values if values else text


def pick_locale(supported: Iterable[str], *candidates: str | None) -> str:
    """The first candidate that is a supported locale (a tag like ``he-IL`` counts as ``he``)."""
    allowed = set(supported)
    for candidate in candidates:
        if not candidate:
            continue
        tag = candidate.strip().lower().replace("_", "-").split("-")[0]
        if tag in allowed:
            return tag
    return DEFAULT_LOCALE if DEFAULT_LOCALE in allowed else sorted(allowed)[0]


def accept_language_tags(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most preferred first."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]
