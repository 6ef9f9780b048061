"""Decoding feed bytes: the byte-order mark, the HTTP charset and the XML prolog.

Precedence follows RFC 7303: a byte-order mark wins, then the ``charset`` parameter of the
HTTP Content-Type, then the ``encoding`` of the XML declaration, then UTF-8. When a declared
encoding cannot decode the bytes, the next declared one is tried (servers often send a
default charset that contradicts the document); if none fits, the feed is refused with a
message naming what was declared and where the bytes stop making sense. Only a feed that
declares nothing and is not UTF-8 is read with charset-normalizer's guess, as a last resort,
and the result says so (``Decoded.guessed``) so that a warning names the guess.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.message import Message

from charset_normalizer import from_bytes

from digest.ingest.errors import FeedError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PROLOG = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_PROLOG_TEXT = re.compile(r"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
# Characters XML 1.0 forbids; stray ones are common in real feeds and would break parsing.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Feed text and the encoding that decoded it (``guessed``: charset-normalizer's guess)."""

    text: str
    encoding: str
    guessed: bool = False
    language: str | None = None  # what the guess thinks the text is written in

    def warning(self) -> str | None:
        """The warning to give when the encoding was guessed, else None."""
        if not self.guessed:
            return None
        language = f", {self.language}" if self.language and self.language != "Unknown" else ""
        return (
            f"no charset declared and the bytes are not UTF-8: read as {self.encoding} "
            f"(charset-normalizer's guess{language}); declare the charset to be sure"
        )


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header, lower-cased ('' if absent)."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    msg = Message()
    msg["content-type"] = content_type
    value = msg.get_param("charset")
    if isinstance(value, tuple):  # RFC 2231 form
        value = value[2]
    return str(value).strip().strip("\"'") or None if value else None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


_LATIN_DEFAULTS = frozenset({"iso8859-1", "ascii", "cp1252"})


def _latin_default_over_utf8(declared: list[tuple[str, str]], content: bytes) -> bool:
    """True when a server's Latin default charset contradicts a UTF-8 document.

    Web servers often label every XML file ``charset=ISO-8859-1``; Latin-1 decodes any bytes,
    so the mistake would pass silently as mojibake. When the XML declaration says UTF-8 and
    the bytes are valid, non-ASCII UTF-8, the document's own declaration is believed.
    """
    if len(declared) < 3 or declared[0][1] != "HTTP Content-Type charset":
        return False
    if _codec(declared[0][0]) not in _LATIN_DEFAULTS or _codec(declared[1][0]) != "utf-8":
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not content.isascii()


def decode_feed(content: bytes, content_type: str | None) -> Decoded:
    """Decode feed bytes to text by BOM, HTTP charset, XML declaration, else UTF-8."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            try:
                return Decoded(content[len(bom) :].decode(name), name)
            except UnicodeDecodeError as exc:
                raise FeedError(
                    f"content starts with a {name} byte-order mark but is not valid {name}: "
                    f"{exc.reason} at byte {exc.start}"
                ) from None
    declared: list[tuple[str, str]] = []  # (encoding as written, where it was declared)
    http_charset = charset_of(content_type)
    if http_charset:
        declared.append((http_charset, "HTTP Content-Type charset"))
    prolog = _PROLOG.match(content[:1024])
    if prolog:
        declared.append((prolog.group(1).decode("ascii"), "XML declaration"))
    declared.append(("utf-8", "default"))
    if _latin_default_over_utf8(declared, content):
        declared.pop(0)
    problems: list[str] = []
    tried: set[str] = set()
    for name, where in declared:
        codec = _codec(name)
        if codec is None:
            problems.append(f"unknown encoding {name!r} ({where})")
            continue
        if codec in tried:
            continue
        tried.add(codec)
        try:
            return Decoded(content.decode(codec), codec)
        except UnicodeDecodeError as exc:
            problems.append(f"not valid {name} ({where}): {exc.reason} at byte {exc.start}")
    if len(declared) == 1:  # nothing declared, and not UTF-8
        guess = _guess(content)
        if guess is not None:
            return guess
        problems.append("charset-normalizer found no encoding that fits")
    raise FeedError("cannot decode the feed: " + "; ".join(problems))


def _guess(content: bytes) -> Decoded | None:
    """charset-normalizer's best reading of undeclared bytes, or None."""
    best = from_bytes(content).best()
    if best is None:
        return None
    codec = _codec(best.encoding) or best.encoding
    return Decoded(str(best), codec, guessed=True, language=best.language)


def as_utf8_xml(text: str) -> bytes:
    """XML text re-encoded as UTF-8, its declaration no longer naming another encoding."""
    text = _XML_ILLEGAL.sub("", text.lstrip("\ufeff"))
    text = _PROLOG_TEXT.sub(r"\1", text, count=1)
    return text.encode("utf-8")
