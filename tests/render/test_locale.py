"""Gettext catalogs: every UI string is translated to Hebrew, and the committed .mo is current."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from digest.render.localisation import (
    LOCALE_DIR,
    local_datetime,
    locale_direction,
    long_date,
    text_direction,
    translations,
)

REPO = Path(__file__).resolve().parents[2]


def _extracted() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
    sources = [
        (REPO / "templates" / "email", [("**.j2", "jinja2")]),
        (REPO / "src" / "digest" / "render", [("**.py", "python")]),
    ]
    for folder, method_map in sources:
        for _file, _line, message, _comments, context in extract_from_dir(
            str(folder), method_map, keywords=keywords
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))
    return found


def test_every_ui_string_has_a_hebrew_translation() -> None:
    with open(LOCALE_DIR / "he" / "LC_MESSAGES" / "digest.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = _extracted() - translated
    assert len(_extracted()) >= 20
    assert not missing, f"untranslated in he: {sorted(missing, key=str)}"


def _key(m: Message) -> tuple[str | None, tuple[str, ...]]:
    ids = tuple(m.id) if isinstance(m.id, (list, tuple)) else (m.id,)
    if m.context is None and "\x04" in ids[0]:  # read_mo keeps "context\x04msgid" joined
        context, first = ids[0].split("\x04", 1)
        return context, (first, *ids[1:])
    context = m.context.decode() if isinstance(m.context, bytes) else m.context  # read_mo: bytes
    return context, ids


def _value(m: Message) -> tuple[str, ...]:
    return tuple(m.string) if isinstance(m.string, (list, tuple)) else (m.string,)


def test_committed_mo_matches_po() -> None:
    folder = LOCALE_DIR / "he" / "LC_MESSAGES"
    with open(folder / "digest.po", "rb") as fh:
        po = {_key(m): _value(m) for m in read_po(fh) if m.id}
    with open(folder / "digest.mo", "rb") as fh:
        mo = {_key(m): _value(m) for m in read_mo(io.BytesIO(fh.read())) if m.id}
    assert po == mo, "run: pybabel compile -d src/digest/locale -D digest"


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
