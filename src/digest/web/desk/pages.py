"""The desk's pages: a Jinja environment per locale with gettext (``_``), and the renderer.

Texts are gettext messages in the one shared catalog (``digest.i18n``: ``digest/locale/<lang>/
LC_MESSAGES/digest.po``, compiled ``.mo`` committed); templates write ``_("…")`` and Python
code marks its messages with ``N_("…")`` and translates them with ``DeskText``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digest.config import SUPPORTED_LOCALES, Config
from digest.i18n import N_, language_name, translations
from digest.render.localisation import locale_direction
from digest.web.i18n import accept_language_tags, pick_locale

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "digest_desk_lang"

# Desk pages are for staff only: never cached, never framed (the email preview frame is the
# one exception and sets its own headers), no scripts at all.
DESK_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Robots-Tag": "noindex, nofollow",
}


ROLE_NAMES = {"editor": N_("editor"), "ops": N_("ops"), "admin": N_("admin")}
ACTION_NAMES = {
    "user-added": N_("account added"),
    "user-removed": N_("account removed"),
    "role-changed": N_("role changed"),
    "password-changed": N_("password changed"),
    "signed-in": N_("signed in"),
    "signed-out": N_("signed out"),
    "pin": N_("pinned"),
    "unpin": N_("unpinned"),
    "exclude": N_("excluded"),
    "include": N_("included again"),
    "move": N_("moved"),
    "subject": N_("subject"),
    "note": N_("note"),
    "restore": N_("automatic selection restored"),
    "approve": N_("approved"),
    "unapprove": N_("approval withdrawn"),
    "hold": N_("held"),
    "test-send": N_("test sent"),
}


@dataclass(frozen=True, slots=True)
class DeskText:
    """Translate desk messages in one locale: ``t("Saved %(n)s", n=3)``."""

    locale: str

    def __call__(self, message: str, **values: Any) -> str:
        text = str(translations(self.locale).gettext(message))
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = str(translations(self.locale).ngettext(singular, plural, n))
        return text % {"num": n, **values}

    def name(self, names: Mapping[str, str], key: str) -> str:
        """The translated name ``names`` gives ``key``; ``key`` itself when it has none."""
        return self(names.get(key, key))


@lru_cache(maxsize=8)
def environment(locale: str) -> Environment:
    """The desk templates with ``_``/``ngettext`` bound to ``locale``'s catalog."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def desk_locale(request: Request) -> str:
    """The desk's language: ?lang=, else the language cookie, else Accept-Language."""
    return pick_locale(
        SUPPORTED_LOCALES,
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        *accept_language_tags(request.headers.get("accept-language")),
    )


class DeskPages:
    """Renders desk templates with the publication, the signed-in member and safe headers."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def render(self, template: str, locale: str, **values: Any) -> str:
        """The template rendered in ``locale``."""
        pub = self._config.publication
        t = DeskText(locale)
        base = {
            "role_name": lambda role: t.name(ROLE_NAMES, role),
            "action_name": lambda action: (
                t(ACTION_NAMES[action]) if action in ACTION_NAMES else action
            ),
            "locale": locale,
            "dir": locale_direction(locale),
            "t": t,
            "publication": pub,
            "brand_color": self._config.email.brand_color,
            "languages": [(c, language_name(c)) for c in SUPPORTED_LOCALES],
            "staff": None,
            "csrf_token": "",
            "notice": None,
            "error": None,
        }
        return environment(locale).get_template(template).render({**base, **values})

    def page(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """An HTML response of a desk template in the request's language."""
        locale = desk_locale(request)
        response = HTMLResponse(
            self.render(template, locale, path=request.url.path, **values),
            status_code=status,
            headers={**DESK_HEADERS, **(headers or {})},
        )
        chosen = request.query_params.get("lang")
        if chosen in SUPPORTED_LOCALES and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(
                LANG_COOKIE,
                chosen,
                max_age=365 * 86400,
                path="/desk",
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response
