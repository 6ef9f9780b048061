"""Per-recipient work, kept cheap: token replacement and the list headers."""

from __future__ import annotations

import html as htmllib
from functools import lru_cache
from urllib.parse import quote, urlsplit

from digest.config import Config
from digest.models import PersonalisedEmail, PersonalValues, RenderedEmail
from digest.render.localisation import translations

ONE_CLICK = "List-Unsubscribe=One-Click"


@lru_cache(maxsize=16)
def _name_fallback(locale: str) -> str:
    # Word used in "Hi %(name)s," when the subscriber gave no name ("Hi there,").
    return str(translations(locale).pgettext("greeting without a name", "there"))


def _values(rendered: RenderedEmail, values: PersonalValues) -> dict[str, str]:
    name = " ".join(values.name.split()) or _name_fallback(rendered.locale)
    return {
        "name": name,
        "email": values.email,
        "unsubscribe_url": values.unsubscribe_url,
        "preferences_url": values.preferences_url,
    }


def substitutions(rendered: RenderedEmail, values: PersonalValues) -> dict[str, str]:
    """Placeholder -> value for both parts (HTML-escaped for HTML), e.g. for SendGrid."""
    raw = _values(rendered, values)
    subs = {rendered.html_tokens[k]: htmllib.escape(v, quote=True) for k, v in raw.items()}
    subs.update({rendered.text_tokens[k]: v for k, v in raw.items()})
    return subs


def list_id(config: Config, segment: str | None = None) -> str:
    """The List-Id identifier: publication.list_id or the public_url host, segment first."""
    domain = config.publication.list_id or urlsplit(config.publication.base_url).hostname or ""
    domain = domain.strip().strip("<>").lower()
    return f"{segment.lower()}.{domain}" if segment else domain


def list_unsubscribe(unsubscribe_url: str, mailto: str | None) -> str:
    """The List-Unsubscribe value: the https URL, then a mailto carrying the same token."""
    parts = [f"<{unsubscribe_url}>"]
    if mailto:
        token = urlsplit(unsubscribe_url).path.rstrip("/").rsplit("/", 1)[-1]
        parts.append(f"<mailto:{mailto}?subject={quote('unsubscribe ' + token)}>")
    return ", ".join(parts)


def personalise(
    rendered: RenderedEmail,
    values: PersonalValues,
    *,
    list_id: str,
    unsubscribe_mailto: str | None,
) -> PersonalisedEmail:
    """One recipient's copy: placeholders replaced, List-* headers set (runs per recipient)."""
    raw = _values(rendered, values)
    html = rendered.html
    for key, token in rendered.html_tokens.items():
        html = html.replace(token, htmllib.escape(raw[key], quote=True))
    text = rendered.text
    for key, token in rendered.text_tokens.items():
        text = text.replace(token, raw[key])
    headers = dict(rendered.headers)
    headers["List-Unsubscribe"] = list_unsubscribe(values.unsubscribe_url, unsubscribe_mailto)
    if values.unsubscribe_url.startswith("https://"):
        headers["List-Unsubscribe-Post"] = ONE_CLICK  # RFC 8058 one-click needs HTTPS
    headers["List-Id"] = list_id if "<" in list_id else f"<{list_id}>"
    return PersonalisedEmail(subject=rendered.subject, html=html, text=text, headers=headers)
