"""Use cases for editions: draft, build, render a variant, send, report status.

The CLI, the scheduler and the web app call these; they hold the flow, the stages
(``rank``, ``render``, ``send``) hold the logic, and the store holds the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from digest import lifecycle
from digest.app import App
from digest.config import Segment
from digest.lifecycle import EditionError, EditionState
from digest.models import Article, Edition, EditionItem, RankResult, RenderedEmail
from digest.rank import RankInput, rank, score_article
from digest.store.articles import articles_for_window
from digest.store.editions import (
    carried_article_ids,
    edition_for,
    insert_edition_once,
    previous_cutoff,
)

__all__ = ["EditionError", "Draft"]


@dataclass(frozen=True, slots=True)
class Draft:
    """An edition as it would be built now, with the ranking that chose its articles."""

    edition: Edition
    ranking: RankResult


def local_today(segment: Segment, now: datetime) -> date:
    """The edition date for ``now``: the local date in the segment's timezone."""
    return now.astimezone(ZoneInfo(segment.timezone)).date()


def _cutoff(segment: Segment, edition_date: date, now: datetime) -> datetime:
    tz = ZoneInfo(segment.timezone)
    end_of_day = datetime.combine(edition_date + timedelta(days=1), time(0), tzinfo=tz)
    return min(now, end_of_day.astimezone(now.tzinfo))


def draft_edition(
    app: App, segment_name: str, edition_date: date, *, now: datetime | None = None
) -> Draft:
    """Rank the segment's candidates for ``edition_date`` without storing anything."""
    segment = app.config.segment(segment_name)
    articles, inp = rank_input(app, segment, edition_date, now or app.clock())
    start, cutoff = inp.window_start, inp.now
    result = rank(articles, inp)
    items = tuple(
        EditionItem(
            position=i,
            article=s.article,
            score=s.score,
            topics=s.topics,
            primary_topic=s.primary_topic,
        )
        for i, s in enumerate(result.selected)
    )
    status, reason = EditionState.DRAFT, None
    if len(items) < segment.min_articles:
        status = EditionState.SKIPPED
        reason = (
            f"only {len(items)} new article(s) in the window; "
            f"the segment needs min_articles={segment.min_articles}"
        )
        items = ()
    edition = Edition(
        segment=segment.name,
        edition_date=edition_date,
        status=status,
        window_start=start,
        cutoff_at=cutoff,
        subject="",
        items=items,
        skip_reason=reason,
    )
    if items:
        edition = replace(edition, subject=_subject(app, segment, edition))
    return Draft(edition=edition, ranking=result)


def rank_input(
    app: App, segment: Segment, edition_date: date, now: datetime
) -> tuple[list[Article], RankInput]:
    """The candidates of the segment's edition for ``edition_date`` as of ``now`` (its window
    runs from the previous edition's cutoff) and the ranking's inputs."""
    cutoff = _cutoff(segment, edition_date, now)
    with app.engine.connect() as conn:
        start = previous_cutoff(conn, segment.name, edition_date)
    if start is None or start >= cutoff:
        start = cutoff - timedelta(hours=segment.lookback_hours)
    return _rank_inputs(app, segment, edition_date, start, cutoff)


def _rank_inputs(
    app: App, segment: Segment, edition_date: date, start: datetime, cutoff: datetime
) -> tuple[list[Article], RankInput]:
    """The candidates of the window from ``start`` to ``cutoff`` and the ranking's inputs."""
    late_since = start - timedelta(hours=segment.lookback_hours)
    with app.engine.connect() as conn:
        articles = articles_for_window(conn, start, cutoff, late_since)
        carried = carried_article_ids(conn, segment.name, edition_date)
    inp = RankInput(
        segment=segment,
        topics=app.config.topics,
        ranking=app.config.ranking,
        window_start=start,
        now=cutoff,
        exclude_ids=frozenset(carried),
        late_since=late_since,
    )
    return list(articles), inp


def explain_edition(app: App, edition: Edition) -> RankResult:
    """The ranking behind ``edition`` as it stands: its own articles, in its order, with their
    score parts, and every other candidate of its window with the reason it is left out."""
    segment = app.config.segment(edition.segment)
    articles, inp = _rank_inputs(
        app, segment, edition.edition_date, edition.window_start, edition.cutoff_at
    )
    ranked = rank(articles, inp)
    shown = {item.article.id for item in edition.items}
    scored = {s.article.id: s for s in ranked.selected}
    scored.update({s.article.id: s for s, _ in ranked.dropped})
    selected = tuple(
        scored.get(item.article.id) or score_article(item.article, inp) for item in edition.items
    )
    dropped = tuple(
        [
            (s, "removed from this edition by an editor")
            for s in ranked.selected
            if s.article.id not in shown
        ]
        + [(s, why) for s, why in ranked.dropped if s.article.id not in shown]
    )
    return RankResult(selected=selected, dropped=dropped)


def automatic_subject(app: App, edition: Edition) -> str:
    """The subject the edition gets when no editor wrote one (in the segment's locale)."""
    return _subject(app, app.config.segment(edition.segment), edition)


def _subject(app: App, segment: Segment, edition: Edition) -> str:
    from digest.render import default_subject

    return default_subject(edition, _context(app, segment, segment.locale, edition))


def _context(
    app: App, segment: Segment, locale: str, edition: Edition, *, web: bool = False
) -> Any:
    from digest.render import RenderContext

    browser_url = app.links.browser_url(segment.name, edition.edition_date.isoformat())
    if locale != segment.locale:  # the web page in the reader's language
        browser_url += f"?lang={locale}"
    return RenderContext(
        config=app.config, segment=segment, locale=locale, browser_url=browser_url, web=web
    )


def build_edition(
    app: App,
    segment_name: str,
    edition_date: date,
    *,
    now: datetime | None = None,
    actor: str = "system",
) -> Edition:
    """The segment's edition for the date: the stored one, or a new one built now.

    The database's unique (segment, date) decides between racing builders: the loser
    returns the winner's edition. A day with too few articles is stored as skipped.
    """
    with app.engine.connect() as conn:
        existing = edition_for(conn, segment_name, edition_date)
    if existing is not None:
        return existing
    now = now or app.clock()
    draft = draft_edition(app, segment_name, edition_date, now=now)
    with app.engine.begin() as conn:
        new_id = insert_edition_once(conn, draft.edition, now)
        if new_id is not None:
            lifecycle.record_created(
                conn,
                new_id,
                draft.edition.status,
                actor=actor,
                now=now,
                reason=draft.edition.skip_reason,
            )
    with app.engine.connect() as conn:
        stored = edition_for(conn, segment_name, edition_date)
    if stored is None:  # pragma: no cover - the row was inserted or existed a moment ago
        raise EditionError(f"edition {segment_name} {edition_date} vanished while building")
    return stored


def skip_edition(
    app: App, segment_name: str, edition_date: date, reason: str, *, actor: str = "system"
) -> Edition:
    """Record the segment's edition for the date as skipped with ``reason`` (if not begun)."""
    segment = app.config.segment(segment_name)
    now = app.clock()
    with app.engine.begin() as conn:
        existing = edition_for(conn, segment.name, edition_date)
        if existing is None:
            new_id = insert_edition_once(
                conn,
                Edition(
                    segment=segment.name,
                    edition_date=edition_date,
                    status=EditionState.SKIPPED,
                    window_start=now,
                    cutoff_at=now,
                    subject="",
                    items=(),
                    skip_reason=reason,
                ),
                now,
            )
            if new_id is not None:
                lifecycle.record_created(
                    conn, new_id, EditionState.SKIPPED, actor=actor, now=now, reason=reason
                )
        elif existing.id is not None and lifecycle.Action.SKIP in lifecycle.allowed_actions(
            existing.status
        ):
            lifecycle.skip(conn, existing.id, actor=actor, now=now, reason=reason)
        edition = edition_for(conn, segment.name, edition_date)
    assert edition is not None
    return edition


def render_variant(app: App, edition: Edition, locale: str, *, web: bool = False) -> RenderedEmail:
    """Render the edition once for one locale: the function the sender, preview and the
    view-in-browser page (``web=True``) share.

    EditionError when the segment does not send in ``locale`` (see ``segments[].locales``).
    """
    from digest.render import render_edition

    segment = app.config.segment(edition.segment)
    if locale not in segment.send_locales:
        raise EditionError(
            f"segment {segment.name!r} does not send in {locale!r}; "
            f"it sends in: {', '.join(segment.send_locales)}"
        )
    return render_edition(edition, _context(app, segment, locale, edition, web=web))
