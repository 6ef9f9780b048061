"""The one gettext catalog of reader-facing words: every string the emails and web pages use
is in the English and Hebrew catalogs, Hebrew translates it, and the committed .mo files are
compiled from the .po files as they are now."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from digest.i18n import LOCALE_DIR

REPO = Path(__file__).resolve().parents[1]
# The keywords of the extract command in src/digest/locale/babel.cfg.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "NP_": ((1, "c"), 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
Key = tuple[str | None, str]


def _extracted() -> dict[Key, str]:
    """Every message the sources use, with the file that uses it (as pybabel extracts them)."""
    with open(LOCALE_DIR / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[Key, str] = {}
    for filename, _line, message, _comments, context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), filename)
    return found


def _catalog(locale: str) -> dict[Key, Message]:
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "digest.po", "rb") as fh:
        catalog = read_po(fh)
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted() -> dict[Key, str]:
    return _extracted()


def test_extraction_covers_the_emails_and_the_web_pages(extracted: dict[Key, str]) -> None:
    files = set(extracted.values())
    assert any(f.startswith("templates/email/") for f in files)
    assert any(f.startswith("src/digest/web/templates/") for f in files)
    assert any(f.startswith("src/digest/web/routes/") for f in files)
    assert (None, "Subscribe to %(publication)s") in extracted
    assert ("topic", "Markets") in extracted
    assert len(extracted) > 100


@pytest.mark.parametrize("locale", ["en", "he"])
def test_every_string_is_in_the_catalog(extracted: dict[Key, str], locale: str) -> None:
    catalog = _catalog(locale)
    missing = sorted((f"{extracted[k]}: {k[1]!r}" for k in extracted if k not in catalog), key=str)
    assert not missing, (
        f"not in the {locale} catalog (extract and update, docs/architecture.md): {missing}"
    )


def test_every_string_has_a_hebrew_translation(extracted: dict[Key, str]) -> None:
    catalog = _catalog("he")

    def done(m: Message) -> bool:
        return all(m.string) if isinstance(m.string, tuple) else bool(m.string)

    untranslated = sorted(
        (f"{extracted[k]}: {k[1]!r}" for k in extracted if k in catalog and not done(catalog[k])),
        key=str,
    )
    assert not untranslated, f"untranslated in he: {untranslated}"


def test_hebrew_keeps_every_placeholder(extracted: dict[Key, str]) -> None:
    import re

    pattern = re.compile(r"%\((\w+)\)s")
    catalog = _catalog("he")
    for key in extracted:
        m = catalog[key]
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(pattern.findall(ids[-1]))
        for text in strings:
            assert set(pattern.findall(text)) == wanted, f"{key[1]!r} -> {text!r}"


def _key(m: Message) -> tuple[str | None, tuple[str, ...]]:
    ids = tuple(m.id) if isinstance(m.id, (list, tuple)) else (m.id,)
    if m.context is None and "\x04" in ids[0]:  # read_mo keeps "context\x04msgid" joined
        context, first = ids[0].split("\x04", 1)
        return context, (first, *ids[1:])
    context = m.context.decode() if isinstance(m.context, bytes) else m.context  # read_mo: bytes
    return context, ids


def _value(m: Message) -> tuple[str, ...]:
    return tuple(m.string) if isinstance(m.string, (list, tuple)) else (m.string,)


@pytest.mark.parametrize("locale", ["en", "he"])
def test_committed_mo_matches_po(locale: str) -> None:
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    with open(folder / "digest.po", "rb") as fh:
        po = {_key(m): _value(m) for m in read_po(fh) if m.id and any(_value(m))}
    with open(folder / "digest.mo", "rb") as fh:
        compiled = [m for m in read_mo(io.BytesIO(fh.read())) if m.id]
    # the compiler fills an untranslated plural with its English forms: not a translation
    mo = {_key(m): _value(m) for m in compiled if len(_value(m)) == 1 or _value(m) != _key(m)[1]}
    assert po == mo, "run: pybabel compile -d src/digest/locale -D digest"
