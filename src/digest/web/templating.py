"""The Jinja environment of the web pages and service emails, and the page renderer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digest.config import SUPPORTED_LOCALES, Config
from digest.i18n import direction, language_name, segment_title, topic_label
from digest.web.i18n import install_i18n

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
    """A Jinja environment over the package's templates; autoescaped, strict about names,
    with ``_()``/``{% trans %}`` reading the catalog of the page's ``locale``."""
    env = Environment(
        loader=PackageLoader("digest.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_i18n(env)
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
        """The values every page and service email can use.

        ``segment_choices`` and ``topic_choices`` are (key, label in this locale) pairs.
        """
        config = self._config
        pub = config.publication
        return {
            "locale": locale,
            "dir": direction(locale),
            "publication": pub,
            "website": str(pub.website),
            "contact": pub.reply_to or pub.from_email,
            "brand_color": config.email.brand_color,
            "locales": [(code, language_name(code)) for code in SUPPORTED_LOCALES],
            "segment_choices": [
                (s.name, segment_title(config, s, locale)) for s in config.segments
            ],
            "topic_choices": [(key, topic_label(config, key, locale)) for key in config.topics],
            "segment_titles": {s.name: segment_title(config, s, locale) for s in config.segments},
        }

    def segment_titles(self, names: Iterable[str], locale: str) -> list[str]:
        """The titles of the named segments in ``locale`` (unknown names as given)."""
        config = self._config
        by_name = {s.name: s for s in config.segments}
        return [segment_title(config, by_name[n], locale) if n in by_name else n for n in names]

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
