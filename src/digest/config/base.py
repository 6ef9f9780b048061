"""What every configuration section shares: the error, the strict base model, the locales
digest supports and per-locale texts (``LocalisedText``, ``text_in``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

SUPPORTED_LOCALES = ("en", "he")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- per-locale texts (issue #16) ---------------------------------------------------------
# Everything a reader sees may be one string (used for every locale) or a map locale -> string.
LocalisedText = str | dict[str, str]


def _check_localised(value: LocalisedText | None) -> LocalisedText | None:
    """Refuse empty texts and maps keyed by a locale digest does not support."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value
    if not value:
        raise ValueError("give one text, or a map of locale to text with at least one entry")
    for locale, text in value.items():
        if locale not in SUPPORTED_LOCALES:
            raise ValueError(
                f"unsupported locale {locale!r}; supported: {', '.join(SUPPORTED_LOCALES)}"
            )
        if not text.strip():
            raise ValueError(f"the {locale!r} text is empty")
    return value


def text_in(value: LocalisedText | None, locale: str) -> str | None:
    """The text for ``locale``: the single string, or the map's entry (None when it has none)."""
    if value is None or isinstance(value, str):
        return value
    return value.get(locale)
