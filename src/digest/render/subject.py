"""The subject line and preheader of an edition variant, in the variant's own language.

A subject names the edition and its top headline and fits ``email.subject_max_chars``
(about 70: what a desktop inbox shows; phones show the first 35–40): when too long, the
headline is cut at a word boundary by whole characters, never the edition's name.
"""

from __future__ import annotations

from collections.abc import Callable

from digest.config import text_in
from digest.models import Edition
from digest.render.context import RenderContext
from digest.render.errors import RenderError
from digest.render.localisation import long_date, translations
from digest.render.view import edition_title, graphemes, shorten

FIELDS = "{title}, {lead}, {date}, {publication}"
_MIN_LEAD = 12  # below this, a headline cut to fit says nothing: cut the whole line instead


def _values(edition: Edition, ctx: RenderContext) -> dict[str, str]:
    return {
        "publication": ctx.config.publication.name,
        "title": edition_title(ctx.config, ctx.segment, ctx.locale),
        "date": long_date(edition.edition_date, ctx.locale),
        "lead": " ".join(edition.items[0].article.title.split()) if edition.items else "",
    }


def _filler(template: str, key: str, ctx: RenderContext) -> Callable[[dict[str, str]], str]:
    """A function filling ``template`` ({name} fields), with errors naming the config key."""

    def fill(values: dict[str, str]) -> str:
        try:
            return " ".join(template.format(**values).split())
        except (KeyError, IndexError, ValueError) as exc:
            raise RenderError(
                f"segments[{ctx.segment.name}].{key}: cannot fill {template!r}: unknown or "
                f"malformed field {exc}; use {FIELDS}"
            ) from None

    return fill


def fit(fill: Callable[[dict[str, str]], str], values: dict[str, str], limit: int) -> str:
    """The filled line within ``limit`` characters, shortening the headline first."""
    full = fill(values)
    if len(graphemes(full)) <= limit:
        return full
    room = limit - len(graphemes(fill({**values, "lead": ""})))
    if values["lead"] and room >= _MIN_LEAD:
        return fill({**values, "lead": shorten(values["lead"], room)})
    return shorten(full, limit)


def default_subject(edition: Edition, ctx: RenderContext) -> str:
    """'Markets Morning: Shanghai Composite Faces…' in the variant's locale.

    A segment's ``subject`` template for the locale replaces the default wording; the result
    is one line within ``email.subject_max_chars``.
    """
    values = _values(edition, ctx)
    template = text_in(ctx.segment.subject, ctx.locale)
    if template:
        fill = _filler(template, "subject", ctx)
    else:
        t = translations(ctx.locale)
        wording = (
            t.gettext("%(title)s: %(lead)s") if values["lead"] else t.gettext("%(title)s, %(date)s")
        )
        fill = lambda v: str(wording) % v  # noqa: E731
    return fit(fill, values, ctx.config.email.subject_max_chars)


def variant_subject(edition: Edition, ctx: RenderContext) -> str:
    """The subject of this variant: the edition's stored subject in the segment's own locale
    (it was written in that language), else the default for the variant's locale."""
    stored = " ".join(edition.subject.split())
    if stored and ctx.locale == ctx.segment.locale:
        return shorten(stored, ctx.config.email.subject_max_chars)
    return default_subject(edition, ctx)


def preheader(edition: Edition, ctx: RenderContext, limit: int) -> str | None:
    """The segment's ``preheader`` template for the locale, filled; None when it has none
    (the email then previews the lead story's first key point)."""
    template = text_in(ctx.segment.preheader, ctx.locale)
    if not template:
        return None
    return fit(_filler(template, "preheader", ctx), _values(edition, ctx), limit)
