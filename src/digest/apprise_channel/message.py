"""The channel post an edition becomes (pure): a title and a short digest with links.

Written in the segment's language: the title as the notifications write it, the top
headlines as a numbered list of links, and a link to the whole edition.
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.models import Edition
from digest.push.payload import edition_title, shorten

MAX_ITEMS = 5
HEADLINE_CHARS = 160
WORDS = {
    "en": {"top": "Top stories", "read": "Read the whole digest"},
    "he": {"top": "הכותרות המובילות", "read": "לסיכום המלא"},
}


@dataclass(frozen=True, slots=True)
class ChannelPost:
    title: str
    body: str  # Markdown


def _escape(text: str) -> str:
    """Markdown link text without the characters that would end it."""
    return text.replace("[", "(").replace("]", ")")


def build_post(
    edition: Edition, *, publication: str, segment_title: str, locale: str, edition_url: str
) -> ChannelPost:
    """The post for ``edition`` in ``locale``."""
    words = WORDS.get(locale.split("-")[0], WORDS["en"])
    lines = [f"**{words['top']}**", ""]
    for n, item in enumerate(edition.items[:MAX_ITEMS], start=1):
        title = _escape(shorten(item.article.title, HEADLINE_CHARS))
        lines.append(f"{n}. [{title}]({item.article.url})")
    lines += ["", f"[{words['read']}]({edition_url})"]
    return ChannelPost(
        title=edition_title(publication, segment_title, edition.edition_date, locale),
        body="\n".join(lines),
    )
