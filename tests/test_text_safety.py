"""Control and bidi-override characters: refused in names and addresses, escaped on terminals."""

from __future__ import annotations

import json

import pytest

from digest.text_safety import for_terminal, json_for_terminal, unsafe_character


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Dana\x00", "a NUL character (U+0000)"),
        ("Dana\nCohen", "a line break (U+000A)"),
        ("Dana\tCohen", "a tab (U+0009)"),
        ("\x1b[31mred", "a control character (U+001B)"),
        ("Dana\x9b", "a control character (U+009B)"),
        ("admin\u202egpj.exe", "a bidirectional override (U+202E)"),
        ("x\u2066y\u2069", "a bidirectional override (U+2066)"),
        ("line\u2028two", "a line break (U+2028)"),
    ],
)
def test_unsafe_characters_are_named(text: str, said: str) -> None:
    assert unsafe_character(text) == said


@pytest.mark.parametrize(
    "text", ["Dana Cohen", "דנה כהן", "\u200fדנה\u200e (Dana)", "O'Brien-Smith", "Zoë Åström", ""]
)
def test_ordinary_names_in_any_script_pass(text: str) -> None:
    assert unsafe_character(text) is None


def test_terminal_text_shows_what_it_would_have_done() -> None:
    assert for_terminal("\x1b]0;pwned\x07ok") == "\\x1b]0;pwned\\x07ok"
    assert for_terminal("a\u202eb") == "a\\u202eb"
    assert for_terminal("two\nlines") == "two\\x0alines"
    assert for_terminal("two\nlines\x1b", keep_lines=True) == "two\nlines\\x1b"
    assert for_terminal("שלום") == "שלום"


def test_terminal_json_stays_json() -> None:
    value = {"name": "a\x1b[2J\u202e\x85b", "he": "שלום"}
    shown = json_for_terminal(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(shown) == value
    assert "\x1b" not in shown and "\u202e" not in shown and "\x85" not in shown
    assert "שלום" in shown
