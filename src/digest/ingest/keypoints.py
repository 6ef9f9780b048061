"""Key points: the short list a publisher puts at the start of an article.

The convention (the publisher's site shows it this way): the content starts with a label
"Key Points" (or "Key Takeaways", "Highlights", Hebrew "נקודות מרכזיות"/"נקודות עיקריות"),
in a heading, paragraph or bold text, immediately followed by a ``<ul>``/``<ol>`` list.
In plain text, the label line is followed by lines starting with "-", "*" or "•".
The block is taken out of the content so the summary does not repeat it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

from digest.ingest.text import clean_text, truncate_text

MAX_POINTS = 8
MAX_POINT_CHARS = 300
_LABEL = re.compile(
    r"^(key points|key takeaways|highlights|in brief|נקודות מרכזיות|נקודות עיקריות)\s*:?$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•‣▪–]|\d+[.)])\s+(.*\S)\s*$")
_LISTS = ("ul", "ol")
_SEPARATORS = frozenset({"br", "li", "p", "div"})


@dataclass(frozen=True, slots=True)
class _Event:
    kind: str  # start | end | text
    value: str  # tag name or text
    start: int
    end: int = -1


class _Tokenizer(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.events: list[_Event] = []
        self.feed(html)
        self.close()
        ends = [e.start for e in self.events[1:]] + [len(html)]
        self.events = [
            _Event(e.kind, e.value, e.start, end) for e, end in zip(self.events, ends, strict=True)
        ]

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(_Event("start", tag, self._offset()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(_Event("void", tag, self._offset()))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(_Event("end", tag, self._offset()))

    def handle_data(self, data: str) -> None:
        self.events.append(_Event("text", data, self._offset()))

    def handle_entityref(self, name: str) -> None:
        self.events.append(_Event("text", unescape(f"&{name};"), self._offset()))

    def handle_charref(self, name: str) -> None:
        self.events.append(_Event("text", unescape(f"&#{name};"), self._offset()))

    def handle_comment(self, data: str) -> None:
        self.events.append(_Event("other", "", self._offset()))

    def handle_decl(self, decl: str) -> None:
        self.events.append(_Event("other", "", self._offset()))

    def handle_pi(self, data: str) -> None:
        self.events.append(_Event("other", "", self._offset()))


def _collect_items(events: list[_Event], first: int) -> tuple[list[str], int]:
    """Texts of the list starting at events[first]; returns them and the list's end index."""
    depth = 0
    items: list[str] = []
    current: list[str] | None = None
    for i in range(first, len(events)):
        ev = events[i]
        if ev.kind == "start" and ev.value in _LISTS:
            depth += 1
            if current is not None:
                current.append(" ")
        elif ev.kind == "end" and ev.value in _LISTS:
            depth -= 1
            if depth == 0:
                if current is not None:
                    items.append(clean_text("".join(current)))
                return items, i
        elif ev.kind == "start" and ev.value == "li" and depth == 1:
            if current is not None:
                items.append(clean_text("".join(current)))
            current = []
        elif ev.kind == "end" and ev.value == "li" and depth == 1 and current is not None:
            items.append(clean_text("".join(current)))
            current = None
        elif ev.kind == "text" and current is not None:
            current.append(ev.value)
        elif ev.kind in ("start", "void") and current is not None and ev.value in _SEPARATORS:
            current.append(" ")
    return [], -1


def tidy_points(points: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Key points as plain text: blanks dropped, each and their number capped."""
    kept = [truncate_text(clean_text(p), MAX_POINT_CHARS) for p in points if p and p.strip()]
    return tuple(kept[:MAX_POINTS])


_LABEL_ANYWHERE = re.compile(
    r"key points|key takeaways|highlights|in brief|נקודות מרכזיות|נקודות עיקריות", re.IGNORECASE
)


def split_key_points_html(html: str) -> tuple[tuple[str, ...], str]:
    """(key points, html without the key-points block); no points and ``html`` if absent."""
    if not html or "<" not in html or not _LABEL_ANYWHERE.search(html[:2000]):
        return (), html
    events = _Tokenizer(html).events
    label: list[str] = []
    label_start: int | None = None
    opened: list[tuple[str, int]] = []  # start tags seen before the list: (tag, offset)
    closed_before_list: set[int] = set()
    for i, ev in enumerate(events):
        if ev.kind == "start" and ev.value in _LISTS:
            if label_start is None or not _LABEL.match(clean_text("".join(label))):
                return (), html
            items, end_index = _collect_items(events, i)
            if end_index < 0 or not any(items):
                return (), html
            # Remove the label's own elements (those that close before the list) too, but
            # not a wrapper that encloses the whole content.
            starts = [off for n, (_tag, off) in enumerate(opened) if n in closed_before_list]
            cut_from = min([label_start, *starts])
            remaining = html[:cut_from] + html[events[end_index].end :]
            return tidy_points(items), remaining
        if ev.kind == "start":
            opened.append((ev.value, ev.start))
        elif ev.kind == "end":
            for n in range(len(opened) - 1, -1, -1):
                if opened[n][0] == ev.value and n not in closed_before_list:
                    closed_before_list.add(n)
                    break
        elif ev.kind == "text" and ev.value.strip():
            if label_start is None:
                label_start = ev.start
            label.append(ev.value)
            if len(clean_text("".join(label))) > 40:
                return (), html
    return (), html


def split_key_points_text(text: str) -> tuple[tuple[str, ...], str]:
    """(key points, text without them) for plain text: a label line then bullet lines."""
    lines = (text or "").splitlines()
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or not _LABEL.match(clean_text(lines[index])):
        return (), text
    points: list[str] = []
    index += 1
    while index < len(lines):
        match = _BULLET.match(lines[index])
        if match:
            points.append(clean_text(match.group(1)))
        elif lines[index].strip():
            break
        index += 1
    if not points:
        return (), text
    return tidy_points(points), "\n".join(lines[index:])
