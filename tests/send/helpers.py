"""Helpers for the send tests: subscribers, a stored edition, a rendered variant, apps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from digest.app import App, build
from digest.config import Config, Secrets
from digest.models import Edition, RenderedEmail
from digest.render.placeholders import HTML_TOKENS, TEXT_TOKENS
from digest.store.db import upgrade
from digest.store.editions import edition_by_id
from digest.store.schema import ArticleRow, EditionItemRow, EditionRow, SubscriberRow
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.conftest import TEST_SECRET, FixedClock, config_dict
from tests.fakes.sendgrid_server import VALID_KEY

NOW = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)
EDITION_DATE = date(2026, 1, 30)


def send_config(tmp_path: Path, db_url: str | None = None, **transport: Any) -> Config:
    """The shared test config with transport settings merged in."""
    from digest.config import parse_config

    raw = config_dict(tmp_path, db_url)
    raw["transport"].update(transport)
    return parse_config(raw, "test-config")


def send_app(
    config: Config, clock: FixedClock | None = None, *, secrets: Secrets | None = None, **kw: Any
) -> App:
    """A migrated app with test secrets (including the stand-in's SendGrid key)."""
    app = build(
        config,
        secrets
        or Secrets(
            secret_key=TEST_SECRET, sendgrid_api_key=VALID_KEY, smtp_password="pw-for-tests"
        ),
        clock=clock or FixedClock(NOW),
        **kw,
    )
    upgrade(app.engine)
    return app


def add_subscribers(
    app: App,
    n: int,
    *,
    segment: str = "markets-en",
    locale: str | Any = "en",
    timezone: str | Any = "UTC",
    prefix: str = "reader",
) -> list[int]:
    """Insert ``n`` active subscribers opted into ``segment``; their ids in order."""
    rows = [
        SubscriberInput(
            email=f"{prefix}{i:06d}@example.com",
            name=f"Reader {i}",
            locale=locale(i) if callable(locale) else locale,
            timezone=timezone(i) if callable(timezone) else timezone,
            segments=(segment,),
        )
        for i in range(n)
    ]
    with app.engine.begin() as conn:
        for start in range(0, n, 5000):
            upsert_subscribers(conn, rows[start : start + 5000], NOW - (NOW - NOW))
        ids = conn.execute(
            select(SubscriberRow.id)
            .where(SubscriberRow.email.like(f"{prefix}%"))
            .order_by(SubscriberRow.id)
        ).scalars()
        return list(ids)


def store_edition(
    app: App, segment: str = "markets-en", status: str = "approved", *, with_article: bool = False
) -> Edition:
    """A stored edition for the segment (no articles needed by the sender)."""
    with app.engine.begin() as conn:
        eid = conn.execute(
            insert(EditionRow)
            .values(
                segment=segment,
                edition_date=EDITION_DATE,
                status=status,
                window_start=NOW,
                cutoff_at=NOW,
                subject="Markets this morning",
                created_at=NOW,
            )
            .returning(EditionRow.id)
        ).scalar_one()
    if with_article:
        aid = add_article(app, NOW)
        with app.engine.begin() as conn:
            conn.execute(
                insert(EditionItemRow).values(
                    edition_id=eid,
                    article_id=aid,
                    position=0,
                    score=1.0,
                    topics=["markets"],
                    primary_topic="markets",
                )
            )
    with app.engine.connect() as conn:
        edition = edition_by_id(conn, eid)
    assert edition is not None
    return edition


def add_article(app: App, at: datetime, *, uid: str = "seed:dax-record") -> int:
    """A stored markets article published and first seen at ``at``; its id."""
    with app.engine.begin() as conn:
        return int(
            conn.execute(
                insert(ArticleRow)
                .values(
                    uid=uid,
                    source="seed",
                    url=f"https://www.skn.example/markets/{uid.split(':')[-1]}",
                    url_hash=uid.encode().hex()[:64].ljust(64, "0"),
                    title="DAX closes at a record as tech stocks rally",
                    summary="Frankfurt's index rose 1.2% on strong results from software makers.",
                    summary_html="",
                    author="Dana Levi",
                    categories=["Markets"],
                    key_points=["The DAX rose 1.2%", "Software makers led"],
                    read_minutes=3,
                    published_at=at,
                    first_seen_at=at,
                    content_hash="1" * 64,
                    updated_at=at,
                )
                .returning(ArticleRow.id)
            ).scalar_one()
        )


def reload(app: App, edition: Edition) -> Edition:
    """The edition as stored now."""
    with app.engine.connect() as conn:
        fresh = edition_by_id(conn, edition.id or 0)
    assert fresh is not None
    return fresh


def variant_for(config: Config, calls: list[str] | None = None):
    """A variant function returning a small compliant RenderedEmail per locale."""
    disclaimer = config.disclaimers[0]
    address = config.publication.postal_address

    def render(locale: str) -> RenderedEmail:
        if calls is not None:
            calls.append(locale)
        html = (
            f"<html><body><p>Hello {HTML_TOKENS['name']} ({locale})</p>"
            f'<p>{disclaimer.text} <a href="{disclaimer.link}">Full disclaimer</a></p>'
            f"<p>{address}</p>"
            f'<a href="{HTML_TOKENS["unsubscribe_url"]}">Unsubscribe</a> '
            f'<a href="{HTML_TOKENS["preferences_url"]}">Preferences</a></body></html>'
        )
        text = (
            f"Hello {TEXT_TOKENS['name']} ({locale})\n\n{disclaimer.text}\n{disclaimer.link}\n"
            f"{address}\nUnsubscribe: {TEXT_TOKENS['unsubscribe_url']}\n"
            f"Preferences: {TEXT_TOKENS['preferences_url']}\n"
        )
        return RenderedEmail(
            subject=f"Markets this morning ({locale})",
            html=html,
            text=text,
            locale=locale,
            html_tokens=dict(HTML_TOKENS),
            text_tokens=dict(TEXT_TOKENS),
        )

    return render
