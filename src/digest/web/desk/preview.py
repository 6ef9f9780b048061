"""The email as the desk shows it: rendered by the sender's render path, personalised for a
stand-in reader whose links lead nowhere, in light or dark, as HTML or as plain text."""

from __future__ import annotations

import html as htmllib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from digest.app import App
from digest.editions import render_variant
from digest.models import Edition, PersonalValues, RenderedEmail
from digest.previews import personalised
from digest.proofs import INERT_PATH
from digest.render import ComplianceError, RenderError

_DARK_QUERY = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
WIDTHS = (375, 600)
FORMATS = ("html", "text")

# The frame holds the email only: no scripts, no forms, no plugins; images from the web.
FRAME_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
        "sandbox allow-popups allow-popups-to-escape-sandbox"
    ),
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """One variant as rendered for the desk: the email, or why it cannot be rendered."""

    email: RenderedEmail | None
    problem: str | None
    compliance_failed: bool = False


class RenderCache:
    """The last few renders by (content hash, locale): the page and its frame share one."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, app: App, edition: Edition, content: str, locale: str) -> Rendered:
        key = (content, locale)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        result = _render(app, edition, locale)
        with self._lock:
            self._items[key] = result
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return result


def _render(app: App, edition: Edition, locale: str) -> Rendered:
    if not edition.items:
        return Rendered(None, "the edition has no articles yet")
    try:
        return Rendered(render_variant(app, edition, locale), None)
    except ComplianceError as exc:
        return Rendered(None, str(exc), compliance_failed=True)
    except RenderError as exc:
        return Rendered(None, str(exc))


def stand_in(app: App) -> PersonalValues:
    """The reader a desk preview is personalised for; every personal link is inert."""
    inert = f"{app.config.publication.base_url}{INERT_PATH}"
    return PersonalValues(
        name="Preview Reader",
        email="preview@example.com",
        unsubscribe_url=inert,
        preferences_url=inert,
    )


def frame_document(
    app: App, edition: Edition, rendered: RenderedEmail, *, fmt: str, dark: bool
) -> str:
    """The document the preview frame shows: the personalised HTML, or the text part."""
    email = personalised(app, edition, rendered, stand_in(app))
    if fmt == "text":
        direction = "rtl" if rendered.locale == "he" else "ltr"
        background = "#0f1419; color: #e8edf2" if dark else "#fff; color: #1a1a1a"
        return (
            f'<!doctype html><html lang="{rendered.locale}" dir="{direction}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<style>body {{ margin: 0; padding: 12px; background: {background}; }}"
            "pre { white-space: pre-wrap; overflow-wrap: anywhere; font: 14px/1.5 "
            "ui-monospace, Menlo, Consolas, monospace; margin: 0; }</style></head>"
            f'<body><pre dir="auto">{htmllib.escape(email.text)}</pre></body></html>'
        )
    page = email.html
    if dark:
        # what a client that honours prefers-color-scheme shows in dark mode
        page = _DARK_QUERY.sub("@media all", page)
    return page.replace("<head>", '<head><base target="_blank">', 1)


def problem_document(message: str) -> str:
    """A frame saying why there is no email to show."""
    return (
        '<!doctype html><html><head><meta charset="utf-8"><style>body{font:16px/1.5 '
        "system-ui,sans-serif;padding:16px;color:#a4000f}</style></head><body><p>"
        f"{htmllib.escape(message)}</p></body></html>"
    )
