"""Plain text from feed markup: tags stripped, entities decoded, whitespace collapsed."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

# Elements whose content is never text a reader should see.
INVISIBLE = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "select",
        "textarea",
    }
)
# Elements that separate words: their boundaries become spaces.
BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
        "img",
    }
)

# C0/C1 controls and the bidi embedding/override/isolate marks, which can spill out of a
# truncated string and reorder the text around it. LRM/RLM (U+200E/F) are kept.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE:
            self._hidden += 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def clean_text(text: str) -> str:
    """Remove control and bidi-override characters and collapse whitespace."""
    return _SPACE.sub(" ", _UNSAFE_CHARS.sub(" ", text)).strip()


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment as one line of safe plain text."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return clean_text("".join(parser.parts))


def truncate_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def word_count(text: str) -> int:
    """How many words ``text`` has (letters or digits in any script)."""
    return len(_WORD.findall(text))


def read_minutes(words: int, words_per_minute: int) -> int:
    """Whole minutes needed to read ``words`` words, at least one."""
    return max(1, math.ceil(words / words_per_minute))
