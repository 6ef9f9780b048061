"""Locale-aware formatting in the emails (the catalogs themselves: tests/test_catalogs.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from digest.render.localisation import (
    local_datetime,
    locale_direction,
    long_date,
    text_direction,
    translations,
)

REPO = Path(__file__).resolve().parents[2]


def test_translations_load_and_fall_back_to_english() -> None:
    assert translations("he").gettext("Key points") == "נקודות מרכזיות"
    assert translations("en").gettext("Key points") == "Key points"
    assert translations("he").pgettext("topic", "Markets") == "שווקים"


def test_dates_numbers_and_direction_per_locale() -> None:
    assert long_date(date(2026, 1, 30), "en") == "30 January 2026"
    assert long_date(date(2026, 1, 30), "he") == "30 בינואר 2026"
    moment = datetime(2026, 1, 30, 19, 5, tzinfo=UTC)
    assert local_datetime(moment, "Asia/Jerusalem", "he") == "30 בינו׳, 21:05"
    assert local_datetime(moment, "Europe/London", "en") == "30 Jan, 7:05\u202fpm"
    assert local_datetime(moment, "America/New_York", "en_US") == "Jan 30, 2:05\u202fPM"
    assert locale_direction("he") == "rtl" and locale_direction("en") == "ltr"
    assert text_direction("«עדכון» SKN", "ltr") == "rtl"
    assert text_direction("2026: Nvidia", "rtl") == "ltr"
    assert text_direction("2026", "rtl") == "rtl"
