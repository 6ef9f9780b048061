"""Refusing secrets that are placeholders or guessable: ``weak_secret(name, value)``.

A secret left at ``changeme``, ``xxxxxxxx…``, ``changeme-changeme-…``, ``your-api-key`` or
a keyboard run is not a secret. Every secret is checked for a placeholder look (a known
placeholder word, one character or one short pattern repeated, masking stars); the link-
signing key, which digest itself needs to be random, is also checked for entropy: at
least 10 distinct characters and about 100 bits by its own character statistics (a
``secrets.token_hex(16)`` has about 120, a ``token_urlsafe(32)`` about 180).
"""

from __future__ import annotations

import math
import re
from collections import Counter

PLACEHOLDER_WORDS = (
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "replace_me",
    "placeholder",
    "your-",
    "your_",
    "yourkey",
    "yoursecret",
    "example",
    "dummy",
    "todo",
    "fixme",
    "xxxx",
    "****",
    "<",
    ">",
)
PLACEHOLDER_VALUES = frozenset({"", "secret", "xxx", "test", "password", "none", "null"})
MIN_DISTINCT = 10
MIN_BITS = 100.0


def _repeats_a_short_pattern(value: str) -> bool:
    """True when ``value`` is one unit repeated (``abcabc…``, ``xxxx``), or nearly so."""
    for size in range(1, len(value) // 2 + 1):
        unit = value[:size]
        if (unit * (len(value) // size + 1))[: len(value)] == value:
            return True
    # long runs of one character make most of it (aaaa…bbbb…aaaa)
    return sum(len(m.group()) for m in re.finditer(r"(.)\1{3,}", value)) * 2 >= len(value)


def _bits(value: str) -> float:
    """The value's length times the Shannon entropy of its own characters."""
    counts = Counter(value)
    total = len(value)
    return -total * sum(n / total * math.log2(n / total) for n in counts.values())


def weak_secret(name: str, value: str, *, random: bool = False) -> str | None:
    """Why ``value`` is not acceptable for the secret ``name``, or None if it is.

    ``random``: the secret must be a random key (checked for entropy too).
    """
    plain = value.strip()
    lowered = plain.lower()
    if lowered in PLACEHOLDER_VALUES or any(w in lowered for w in PLACEHOLDER_WORDS):
        return f"{name} is set to a placeholder value; set the real secret"
    core = re.sub(r"^sg\.|[.\-_]", "", lowered)  # SendGrid's "SG." and separators aside
    if len(core) >= 4 and _repeats_a_short_pattern(core):
        return f"{name} looks like a placeholder (one short pattern repeated); set the real secret"
    if random and (len(set(plain)) < MIN_DISTINCT or _bits(plain) < MIN_BITS):
        return (
            f"{name} is too predictable to sign links ({len(set(plain))} distinct characters, "
            f"about {_bits(plain):.0f} bits); use a random value, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return None
