"""Edition use cases on SQLite and PostgreSQL: window, history, skip, once per (segment, date)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from digest.app import App
from digest.editions import build_edition, draft_edition, local_today, skip_edition
from digest.store.articles import upsert_articles
from digest.store.schema import EditionRow
from tests.conftest import FixedClock
from tests.factories import NOW, article


def seed(app: App, *arts) -> None:
    with app.engine.begin() as conn:
        upsert_articles(conn, list(arts), NOW)


def test_local_today_uses_the_segment_timezone(app: App) -> None:
    seg = app.config.segment("tech-he")  # Asia/Jerusalem, UTC+2 in January
    late_utc = NOW.replace(hour=23)
    assert local_today(seg, late_utc) == date(2026, 1, 31)
    assert local_today(app.config.segment("markets-en"), late_utc) == date(2026, 1, 30)


def test_build_is_once_per_segment_and_date(any_app: App) -> None:
    seed(any_app, article("DAX opens higher", categories=("Markets",), hours_ago=2))
    d = date(2026, 1, 30)
    first = build_edition(any_app, "markets-en", d)
    second = build_edition(any_app, "markets-en", d)
    assert first.id == second.id and first.status == "draft"
    assert [i.article.title for i in first.items] == ["DAX opens higher"]
    assert first.subject  # rendered subject, not empty
    with any_app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EditionRow)).scalar_one() == 1


def test_next_edition_starts_at_previous_cutoff_and_skips_carried(
    any_app: App, clock: FixedClock
) -> None:
    seed(any_app, article("DAX day one", categories=("Markets",), hours_ago=3))
    day1 = build_edition(any_app, "markets-en", date(2026, 1, 30))
    assert len(day1.items) == 1
    clock.now = NOW + timedelta(days=1)
    seed(
        any_app, article("DAX day two", categories=("Markets",), hours_ago=-20)
    )  # published NOW+20h
    day2 = build_edition(any_app, "markets-en", date(2026, 1, 31))
    assert day2.window_start == day1.cutoff_at
    assert [i.article.title for i in day2.items] == ["DAX day two"]


def test_too_few_articles_skips_and_records_why(any_app: App) -> None:
    d = date(2026, 1, 30)
    edition = build_edition(any_app, "markets-en", d)
    assert edition.status == "skipped"
    assert "min_articles=1" in (edition.skip_reason or "")
    assert edition.items == ()


def test_draft_stores_nothing_and_explains(app: App) -> None:
    seed(
        app,
        article("Nvidia and AI", categories=("Technology",), hours_ago=1),
        article("Cooking tips", hours_ago=1),
    )
    draft = draft_edition(app, "markets-en", date(2026, 1, 30))
    assert [s.article.title for s in draft.ranking.selected] == ["Nvidia and AI"]
    assert draft.ranking.dropped[0][1] == "matches none of the segment's topics"
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EditionRow)).scalar_one() == 0


def test_skip_edition_records_reason(app: App) -> None:
    edition = skip_edition(app, "markets-en", date(2026, 1, 30), "missed: outside misfire grace")
    assert edition.status == "skipped" and edition.skip_reason == "missed: outside misfire grace"


def test_an_article_ingested_after_the_cutoff_but_dated_before_goes_out_next_time(
    any_app: App, clock: FixedClock
) -> None:
    from dataclasses import replace

    seed(any_app, article("DAX day one", categories=("Markets",), hours_ago=3))
    day1 = build_edition(any_app, "markets-en", date(2026, 1, 30))
    # the feed lagged: dated 10 minutes before day one's cutoff, first seen an hour after it
    late = replace(
        article("DAX late wire story", categories=("Markets",), hours_ago=0),
        published_at=day1.cutoff_at - timedelta(minutes=10),
        first_seen_at=day1.cutoff_at + timedelta(hours=1),
    )
    seed(any_app, late)
    clock.now = NOW + timedelta(days=1)
    day2 = build_edition(any_app, "markets-en", date(2026, 1, 31))
    assert [i.article.title for i in day2.items] == ["DAX late wire story"]
