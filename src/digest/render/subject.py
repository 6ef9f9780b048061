"""The default, localised subject line of an edition."""

from __future__ import annotations

from digest.models import Edition
from digest.render.context import RenderContext
from digest.render.localisation import long_date, translations
from digest.render.view import edition_title, shorten

MAX_SUBJECT_CHARS = 150


def default_subject(edition: Edition, ctx: RenderContext) -> str:
    """'SKN Markets — Markets digest, 30 January 2026: <lead title>' in the segment's locale.

    A segment's ``subject`` template (``{publication}``, ``{title}``, ``{date}``, ``{lead}``)
    replaces the default wording; the result is one line of at most 150 characters.
    """
    values = {
        "publication": ctx.config.publication.name,
        "title": edition_title(ctx.segment, ctx.locale),
        "date": long_date(edition.edition_date, ctx.locale),
        "lead": " ".join(edition.items[0].article.title.split()) if edition.items else "",
    }
    if ctx.segment.subject:
        try:
            text = ctx.segment.subject.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            from digest.render.errors import RenderError

            raise RenderError(
                f"segments[{ctx.segment.name}].subject: cannot fill {ctx.segment.subject!r}: "
                f"unknown or malformed field {exc}; use {{publication}}, {{title}}, {{date}}, "
                "{lead}"
            ) from None
    elif values["lead"]:
        text = (
            translations(ctx.locale).gettext("%(publication)s — %(title)s, %(date)s: %(lead)s")
            % values
        )
    else:
        text = translations(ctx.locale).gettext("%(publication)s — %(title)s, %(date)s") % values
    return shorten(text, MAX_SUBJECT_CHARS)
