"""Characters that have no place in a name or an address, and text made safe for a terminal.

A name or an address ends up in a ``To:`` header, a web page, a CSV export and a terminal.
Control characters (C0, DEL, C1, line and paragraph separators) can break a header or send
escape sequences to a terminal; bidirectional embeddings, overrides and isolates
(U+202A–U+202E, U+2066–U+2069) make text display in another order than it is stored, which
is how a display name is made to look like someone else's address. Both are refused at every
entry (CSV import, web forms, command line) by ``unsafe_character``. The right-to-left and
left-to-right *marks* (U+200E, U+200F), which Hebrew text legitimately carries, are allowed.

Text that came from elsewhere (a provider's bounce reason, an old row) is printed through
``for_terminal``, which shows each such character as a visible escape instead.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break", "\x00": "a NUL character"}


def unsafe_character(text: str) -> str | None:
    """None if ``text`` is safe to store; else what its first unsafe character is, in words."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    ch = found.group()
    code = f"U+{ord(ch):04X}"
    if ch in _NAMES:
        return f"{_NAMES[ch]} ({code})"
    if "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
        return f"a bidirectional override ({code})"
    if "\ud800" <= ch <= "\udfff":
        return f"an unpaired surrogate ({code})"
    if ch in "\u2028\u2029":
        return f"a line break ({code})"
    return f"a control character ({code})"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every control or bidi-override character shown as ``\\xNN``/``\\uNNNN``.

    With ``keep_lines`` line breaks and tabs are kept (for multi-line messages).
    """
    pattern = _UNSAFE_KEEP_LINES if keep_lines else _UNSAFE
    return pattern.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_for_terminal(encoded: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) still valid, with the
    characters a terminal would act on written as ``\\uNNNN`` escapes."""
    # json.dumps escapes C0 inside strings itself; what is left raw is layout (kept) and
    # DEL, C1, separators and bidi controls, valid JSON as \\u escapes
    return _UNSAFE_KEEP_LINES.sub(_json_escape, encoded)
