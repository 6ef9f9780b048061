"""Placeholders for the per-recipient parts, and long sample values for measuring size.

HTML and text bodies use different placeholders so each receives the right escaping.
The placeholders are plain ASCII with no characters that HTML escaping, premailer or
lxml's URL escaping would change, so they survive rendering byte for byte.
"""

from __future__ import annotations

from types import MappingProxyType

from digest.models import PersonalValues

PERSONAL_FIELDS = ("name", "email", "unsubscribe_url", "preferences_url")
_MARK = "%%digest-"

HTML_TOKENS = MappingProxyType({f: f"{_MARK}html:{f}%%" for f in PERSONAL_FIELDS})
TEXT_TOKENS = MappingProxyType({f: f"{_MARK}text:{f}%%" for f in PERSONAL_FIELDS})


def defuse(value: str) -> str:
    """Break any placeholder look-alike inside content so it can never be substituted."""
    return value.replace(_MARK, "%%\u2060digest-") if _MARK in value else value


def long_sample(base_url: str) -> PersonalValues:
    """Worst-case personal values, used to measure the HTML size after personalisation."""
    token = "x" * 180  # itsdangerous tokens for large ids and long segment names stay below this
    return PersonalValues(
        name="N" * 64,
        email=("m" * 64) + "@" + ("d" * 60) + ".example",
        unsubscribe_url=f"{base_url}/u/{token}",
        preferences_url=f"{base_url}/p/{token}",
    )
