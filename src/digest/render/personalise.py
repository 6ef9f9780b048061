"""Per-recipient work, kept cheap: token replacement and the list headers."""

from __future__ import annotations

import html as htmllib
from functools import lru_cache

from digest.models import PersonalisedEmail, PersonalValues, RenderedEmail
from digest.render.localisation import translations
from digest.send.headers import list_id_value, unsubscribe_headers


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
    headers.update(unsubscribe_headers(values.unsubscribe_url, unsubscribe_mailto))
    headers["List-Id"] = list_id_value(list_id)
    return PersonalisedEmail(subject=rendered.subject, html=html, text=text, headers=headers)
