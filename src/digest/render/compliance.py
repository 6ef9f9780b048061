"""The compliance gate: no email leaves without its disclaimers, unsubscribe link and address.

Disclaimers are checked in the email's own language: a required disclaimer must be there in
that locale's text (an email in a locale the disclaimer has no text for is refused), and a
disclaimer with a text for the locale must show it.

It reads what a reader would see: text hidden with display:none (the preheader trick) or
kept in comments does not count, and the unsubscribe link must be a real <a href>.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import lxml.html
from lxml import etree

from digest.config import Config, text_in
from digest.models import PersonalisedEmail, RenderedEmail
from digest.render.errors import ComplianceError

_HIDDEN = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.I)
# Direction marks and isolates the text part puts around mixed-direction pieces.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").translate(_BIDI_CONTROLS).split())


def _visible(html: str) -> tuple[str, set[str]]:
    """The visible text of ``html`` (whitespace-normalised) and the hrefs of visible links."""
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"))
    except (etree.ParserError, ValueError):
        return "", set()
    for el in list(root.iter()):
        if el.getparent() is None:
            continue
        if not isinstance(el.tag, str):  # comments and processing instructions
            el.getparent().remove(el)
            continue
        if el.tag in ("head", "style", "script", "title") or el.get("hidden") is not None:
            el.drop_tree()
        elif _HIDDEN.search(el.get("style", "")) or el.get("aria-hidden") == "true":
            el.drop_tree()
    hrefs = {a.get("href", "").strip() for a in root.iter("a")}
    return _norm(root.text_content()), hrefs


def check_compliance(
    html: str,
    text: str,
    *,
    config: Config,
    locale: str,
    unsubscribe_html: str,
    unsubscribe_text: str,
) -> list[str]:
    """Problems that forbid sending this HTML/text pair in ``locale`` (empty list: it may go).

    ``unsubscribe_html``/``unsubscribe_text`` are what the unsubscribe link must be: the
    placeholders before personalisation, the subscriber's real URL after it.
    """
    problems: list[str] = []
    seen, hrefs = _visible(html)
    plain = _norm(text)
    for d in config.disclaimers:
        own = text_in(d.text, locale)
        if own is None:
            if d.required:
                problems.append(f"required disclaimer {d.id!r} has no {locale!r} text")
            continue
        wanted = _norm(own)
        if wanted not in seen:
            problems.append(f"HTML part is missing disclaimer {d.id!r}")
        if wanted not in plain:
            problems.append(f"text part is missing disclaimer {d.id!r}")
        link = text_in(d.link, locale)
        if link is not None:
            if link not in hrefs:
                problems.append(f"HTML part is missing the link to full disclaimer {d.id!r}")
            if link not in plain:
                problems.append(f"text part is missing the link to full disclaimer {d.id!r}")
    address = _norm(config.publication.postal_address)
    if address not in seen:
        problems.append("HTML part is missing the postal address")
    if address not in plain:
        problems.append("text part is missing the postal address")
    if not unsubscribe_html or unsubscribe_html not in hrefs:
        problems.append("HTML part is missing the unsubscribe link")
    if not unsubscribe_text or unsubscribe_text not in text:
        problems.append("text part is missing the unsubscribe URL")
    return problems


def check_rendered(rendered: RenderedEmail, config: Config) -> list[str]:
    """The gate applied to a rendered variant, with its unsubscribe placeholders."""
    return check_compliance(
        rendered.html,
        rendered.text,
        config=config,
        locale=rendered.locale,
        unsubscribe_html=rendered.html_tokens.get("unsubscribe_url", ""),
        unsubscribe_text=rendered.text_tokens.get("unsubscribe_url", ""),
    )


def check_personalised(email: PersonalisedEmail, config: Config, unsubscribe_url: str) -> list[str]:
    """The gate applied to one recipient's copy right before sending (headers included).

    The copy's language is its Content-Language header, which every message must carry.
    """
    locale = (_header(email.headers, "Content-Language") or "").strip()
    if not locale:
        problems = ["Content-Language header is missing"]
    else:
        problems = check_compliance(
            email.html,
            email.text,
            config=config,
            locale=locale,
            unsubscribe_html=unsubscribe_url,  # lxml unescapes attribute values
            unsubscribe_text=unsubscribe_url,
        )
    header = _header(email.headers, "List-Unsubscribe")
    if not header or unsubscribe_url not in header:
        problems.append("List-Unsubscribe header is missing or does not carry the unsubscribe URL")
    return problems


def require_compliance(problems: list[str]) -> None:
    """Raise ComplianceError naming every problem, if there are any."""
    if problems:
        raise ComplianceError(problems)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
