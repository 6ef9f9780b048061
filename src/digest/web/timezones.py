"""The time-zone picker's choices: every place zone as country — city in the page's
language ('Israel — Jerusalem', 'ישראל — ירושלים'), from CLDR through Babel.

The value stored is always the IANA name; the server still checks any submitted name with
``forms.valid_timezone`` (a name missing from the list, such as an alias, stays valid).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location

from digest.i18n import N_, translations

UTC_LABEL = N_("Coordinated Universal Time")


@lru_cache(maxsize=1)
def _place_zones() -> tuple[tuple[str, str], ...]:
    """(IANA zone, ISO country) for every zone CLDR places in a country and tzdata knows."""
    known = available_timezones()
    territories: Mapping[str, str] = get_global("zone_territories")
    return tuple(
        (zone, country)
        for zone, country in territories.items()
        if zone in known and len(country) == 2 and country.isalpha() and country != "ZZ"
    )


@lru_cache(maxsize=8)
def zone_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(IANA zone, label) pairs in ``locale``, UTC first, then sorted by label."""
    loc = Locale.parse("en_001" if locale == "en" else locale)
    labelled = []
    for zone, country in _place_zones():
        name = loc.territories.get(country, country)
        city = get_timezone_location(zone, locale=loc, return_city=True)
        labelled.append((zone, f"{name} — {city}" if city and city != name else name))
    labelled.sort(key=lambda pair: (pair[1].casefold(), pair[0]))
    utc = str(translations(locale).gettext(UTC_LABEL))
    return (("UTC", utc), *labelled)


def choices_with(locale: str, current: str | None) -> tuple[tuple[str, str], ...]:
    """The choices, plus ``current`` under its own name when it is valid but not listed."""
    from digest.web.forms import valid_timezone

    choices = zone_choices(locale)
    if current and valid_timezone(current) and current not in {zone for zone, _ in choices}:
        return ((current, current), *choices)
    return choices


@lru_cache(maxsize=1)
def browser_aliases_json() -> str:
    """Old names a browser may report (``Asia/Calcutta``) -> the listed zone, as JSON."""
    listed = {zone for zone, _ in _place_zones()} | {"UTC"}
    aliases: Mapping[str, str] = get_global("zone_aliases")
    extra = {"Etc/UTC": "UTC", "Etc/GMT": "UTC", "GMT": "UTC", "Etc/Universal": "UTC"}
    table = {old: new for old, new in {**aliases, **extra}.items() if new in listed}
    return json.dumps(table, separators=(",", ":"), sort_keys=True)
