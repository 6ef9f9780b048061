"""Safe HTML for summaries: nh3 with a small allow-list, and tag-balanced truncation."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from typing import Literal

import nh3

from digest.ingest.text import clean_text

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "cite",
        "code",
        "em",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "u",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
# Removed together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "noscript",
        "template",
        "object",
        "embed",
        "svg",
        "math",
        "select",
        "textarea",
        "title",
        "head",
        "frame",
        "frameset",
        "applet",
    }
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
VOID_TAGS = frozenset({"br"})


@lru_cache(maxsize=32)
def _cleaner(base: str | None) -> nh3.Cleaner:
    relative: Literal["deny"] | tuple[Literal["rewrite_with_base"], str] = (
        ("rewrite_with_base", base) if base else "deny"
    )
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative=relative,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitize_html(html: str, base: str | None = None) -> str:
    """``html`` reduced to safe simple markup: no scripts, handlers, frames, styles or
    javascript:/data: links; relative links resolved against ``base`` (dropped without one);
    every link gets rel="noopener noreferrer"."""
    if not html or not html.strip():
        return ""
    return _cleaner(base).clean(html).strip()


def text_to_html(text: str) -> str:
    """Plain text as escaped paragraphs (blank lines separate paragraphs)."""
    paragraphs = [clean_text(p) for p in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs if p)


class _Truncator(HTMLParser):
    """Re-emits sanitised HTML until ``limit`` characters of text, then closes open tags."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.used = 0
        self.out: list[str] = []
        self.open: list[str] = []
        self.full = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.full:
            return
        attr_text = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in attrs)
        self.out.append(f"<{tag}{attr_text}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.full or tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.full:
            return
        room = self.limit - self.used
        if len(data) <= room:
            self.out.append(escape(data, quote=False))
            self.used += len(data)
            return
        cut = data[: max(0, room - 1)]
        space = cut.rfind(" ")
        if space > 0 and space >= len(cut) * 0.6:
            cut = cut[:space]
        self.out.append(escape(cut.rstrip(" ,;:.-–—"), quote=False) + "…")
        self.full = True

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def truncate_html(html: str, limit: int) -> str:
    """Sanitised ``html`` cut after ``limit`` characters of text, tags kept balanced."""
    if not html:
        return ""
    truncator = _Truncator(limit)
    truncator.feed(html)
    out = truncator.result()
    if not truncator.full:
        return html
    return sanitize_html(out)
