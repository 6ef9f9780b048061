"""Use cases for looking at an edition: the preview an editor sees and the public web page.

Both call the one render path the sender uses (``digest.editions.render_variant``) and the
one header builder (``digest.send.headers``), so what is previewed is what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from digest.app import App
from digest.config import Segment
from digest.editions import explain_edition, render_variant
from digest.lifecycle import EditionState
from digest.models import Edition, PersonalisedEmail, PersonalValues, RankResult, RenderedEmail
from digest.send import headers
from digest.store.editions import edition_for

# editions whose content is public (the archive and "view in browser")
PUBLISHED = (EditionState.SENDING, EditionState.SENT)


@dataclass(frozen=True, slots=True)
class Preview:
    """The edition a preview shows (the stored one, else a draft of now) and its ranking."""

    edition: Edition
    stored: bool


def preview_edition(app: App, segment_name: str, edition_date: date) -> Preview:
    """The edition as the editors' desk shows it (nothing is stored): a draft re-ranked now
    with the editors' pins and exclusions, or the content an approval froze."""
    from digest.editorial import edition_view

    view = edition_view(app, segment_name, edition_date)
    return Preview(view.edition, view.state is not None)


def explain(app: App, preview: Preview) -> RankResult:
    """Why the previewed edition holds what it holds (its own items, then what was left out)."""
    return explain_edition(app, preview.edition)


def sample_values(app: App) -> PersonalValues:
    """The stand-in reader a preview is personalised for."""
    base = app.config.publication.base_url
    return PersonalValues(
        name="Preview Reader",
        email="preview@example.com",
        unsubscribe_url=f"{base}/u/preview",
        preferences_url=f"{base}/p/preview",
    )


def personalised(
    app: App, edition: Edition, rendered: RenderedEmail, values: PersonalValues
) -> PersonalisedEmail:
    """``rendered`` filled for one reader, with the list headers every message carries."""
    from digest.render import personalise

    segment = app.config.segment(edition.segment)
    return personalise(
        rendered,
        values,
        list_id=headers.list_id_header(app.config, segment),
        unsubscribe_mailto=app.config.email.unsubscribe_mailto,
    )


def preview_mime(app: App, edition: Edition, locale: str) -> tuple[RenderedEmail, str]:
    """The complete message the stand-in reader would get, as text (an .eml)."""
    from digest.render import build_mime
    from digest.send.transports.base import Sender

    rendered = render_variant(app, edition, locale)
    values = sample_values(app)
    email = personalised(app, edition, rendered, values)
    pub = app.config.publication
    domain = pub.from_email.rpartition("@")[2]
    prefix = headers.message_id_prefix(edition.segment, edition.edition_date, "preview")
    msg = build_mime(
        email,
        sender=Sender(pub.from_email, pub.from_name, pub.reply_to),
        to_email=values.email,
        to_name=values.name,
        message_id=headers.make_message_id(domain, prefix),
        date=app.clock(),
    )
    return rendered, msg.as_string()


def public_locale(segment: Segment, lang: str | None) -> str:
    """The language of an edition's web page: ``lang`` when the segment sends in it."""
    return lang if lang in segment.send_locales else segment.locale


def public_edition_html(
    app: App, segment_name: str, edition_date: date, lang: str | None = None
) -> str | None:
    """The published edition's web page in ``public_locale(segment, lang)``: the render's web
    form (no greeting, no "because <address>") with neutral links; None if not published."""
    segment = next((s for s in app.config.segments if s.name == segment_name), None)
    if segment is None:
        return None
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment_name, edition_date)
    if edition is None or edition.status not in PUBLISHED:
        return None
    locale = public_locale(segment, lang)
    rendered = render_variant(app, edition, locale, web=True)
    manage = f"{app.links.base_url}/manage?lang={locale}"
    neutral = PersonalValues(name="", email="", unsubscribe_url=manage, preferences_url=manage)
    return personalised(app, edition, rendered, neutral).html
