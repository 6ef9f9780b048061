"""Direction marks for the plain-text part, so mixed Hebrew/English reads right in plain-text
clients: each line starts with the mark of its piece's direction (a wrapped Hebrew line that
begins with "SKN" or a number stays right to left), and inline pieces of unknown direction (a
subscriber's name or address, filled in per recipient) is followed by the email's own mark, so
punctuation after it keeps the sentence's direction. Only LRM and RLM are used: plain-text
clients have shown them correctly for decades, unlike the newer isolate characters.
"""

from __future__ import annotations

LRM, RLM = "\u200e", "\u200f"
MARKS = {"ltr": LRM, "rtl": RLM}
_SIGNATURE = "-- "  # the signature separator must stay exactly this


def mark_lines(text: str, direction: str) -> str:
    """Every non-empty line of ``text`` prefixed with the mark of ``direction``."""
    mark = MARKS[direction]
    return "\n".join(mark + line if line.strip() else line for line in str(text).split("\n"))


def mark_unmarked_lines(text: str, direction: str) -> str:
    """Lines that carry no mark yet get the email's own (the signature separator excepted)."""
    mark = MARKS[direction]
    out = []
    for line in text.split("\n"):
        if line.strip() and line != _SIGNATURE and line[0] not in (LRM, RLM):
            line = mark + line
        out.append(line)
    return "\n".join(out)


def seal(value: str, direction: str) -> str:
    """``value`` followed by the mark of ``direction`` (the email's), so what comes after a
    piece of the other direction is not pulled into it."""
    return f"{value}{MARKS[direction]}"
