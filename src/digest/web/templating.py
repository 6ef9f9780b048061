"""The Jinja environment of the web pages and service emails, and the page renderer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digest.config import SUPPORTED_LOCALES, Config
from digest.web.strings import Strings

# Pages carry signed tokens in their URL: never leak them in a Referer, never cache them.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        # the "notify me" button: its script, the service worker and its one API call
        "script-src 'self'; worker-src 'self'; connect-src 'self'"
    ),
    "X-Robots-Tag": "noindex, nofollow",
}


def make_environment() -> Environment:
    """A Jinja environment over the package's templates; autoescaped, strict about names."""
    env = Environment(
        loader=PackageLoader("digest.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class PageRenderer:
    """Renders a page template in a locale, with the publication's details and safe headers."""

    def __init__(self, env: Environment, config: Config) -> None:
        self._env = env
        self._config = config

    def add_global(self, name: str, value: Any) -> None:
        """Make ``value`` available to every template as ``name``."""
        self._env.globals[name] = value

    def context(self, locale: str) -> dict[str, Any]:
        """The values every page and service email can use."""
        pub = self._config.publication
        t = Strings(locale)
        return {
            "t": t,
            "locale": locale,
            "dir": t.direction,
            "publication": pub,
            "website": str(pub.website),
            "contact": pub.reply_to or pub.from_email,
            "brand_color": self._config.email.brand_color,
            "locales": [(code, Strings(code)("language_name")) for code in SUPPORTED_LOCALES],
        }

    def render(self, template: str, locale: str, **values: Any) -> str:
        """The template rendered to a string in ``locale``."""
        return self._env.get_template(template).render(**self.context(locale), **values)

    def page(
        self,
        template: str,
        locale: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """An HTML response of the page template with the safe headers set."""
        return HTMLResponse(
            self.render(template, locale, **values),
            status_code=status,
            headers={**PAGE_HEADERS, **(headers or {})},
        )
