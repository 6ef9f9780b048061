"""Helpers for the push tests: a push-enabled config, stored editions, subscriptions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from digest.app import App, build
from digest.clock import system_clock
from digest.config import Config, Secrets, parse_config
from digest.models import Edition
from digest.push.models import PushSubscriptionInput
from digest.store.db import upgrade
from digest.store.editions import edition_by_id
from digest.store.push import save_push_subscription
from digest.store.schema import ArticleRow, EditionItemRow, EditionRow
from tests.conftest import TEST_SECRET, config_dict
from tests.fakes.push_service import BrowserSubscription

EDITION_DATE = date(2026, 1, 30)
NOW = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)
HEADLINES = {
    "markets-en": [
        "DAX closes at a record as tech stocks rally",
        "Oil slips after OPEC signals more supply next quarter",
        "Bond yields edge lower ahead of the central bank meeting",
        "A fourth story that the notification leaves out",
    ],
    "tech-he": [
        "אנבידיה מדווחת על זינוק בהכנסות ממרכזי נתונים",
        "פורד מאטה את ייצור הרכבים החשמליים",
        "חברות התוכנה בתל אביב מגייסות שוב",
    ],
}


def push_config_dict(
    tmp_path: Path, ca_bundle: Path, db_url: str | None = None, **push: Any
) -> dict[str, Any]:
    raw = config_dict(tmp_path, db_url)
    raw["publication"]["push_contact"] = "mailto:ops@skn.example"
    for seg in raw["segments"]:
        seg["channels"] = ["email", "webpush"]
    raw["push"] = {
        "allowed_hosts": ["127.0.0.1"],
        "allow_private_addresses": True,
        "ca_bundle": str(ca_bundle),
        "timeout_seconds": 2,
        **push,
    }
    return raw


def push_config(tmp_path: Path, ca_bundle: Path, db_url: str | None = None, **push: Any) -> Config:
    return parse_config(push_config_dict(tmp_path, ca_bundle, db_url, **push), "test-config")


def push_app(config: Config, clock: Any = system_clock) -> App:
    app = build(config, Secrets(secret_key=TEST_SECRET), clock=clock)
    upgrade(app.engine)
    return app


def store_edition(
    app: App, segment: str = "markets-en", *, status: str = "sending", day: date = EDITION_DATE
) -> Edition:
    """A stored edition of the segment with its headlines as articles."""
    with app.engine.begin() as conn:
        eid = conn.execute(
            insert(EditionRow)
            .values(
                segment=segment,
                edition_date=day,
                status=status,
                window_start=NOW,
                cutoff_at=NOW,
                subject=f"{segment} on {day}",
                created_at=NOW,
                finished_at=NOW if status == "sent" else None,
            )
            .returning(EditionRow.id)
        ).scalar_one()
        for position, title in enumerate(HEADLINES[segment]):
            aid = conn.execute(
                insert(ArticleRow)
                .values(
                    uid=f"{segment}:{day}:{position}",
                    source="seed",
                    url=f"https://www.skn.example/{segment}/{day}/{position}",
                    url_hash=f"{eid:032d}{position:032d}",
                    title=title,
                    summary=f"Summary of {title}",
                    summary_html="",
                    author="Dana Levi",
                    categories=["Markets"],
                    key_points=[],
                    read_minutes=3,
                    published_at=NOW,
                    first_seen_at=NOW,
                    content_hash="1" * 64,
                    updated_at=NOW,
                )
                .returning(ArticleRow.id)
            ).scalar_one()
            conn.execute(
                insert(EditionItemRow).values(
                    edition_id=eid,
                    article_id=aid,
                    position=position,
                    score=1.0 - position / 10,
                    topics=["markets"],
                    primary_topic="markets",
                )
            )
        edition = edition_by_id(conn, eid)
    assert edition is not None
    return edition


def subscribe(
    app: App,
    browser: BrowserSubscription,
    segments: tuple[str, ...] = ("markets-en",),
    *,
    locale: str = "en",
    timezone: str = "UTC",
) -> int:
    """Store the browser's subscription as the web route would; its id."""
    with app.engine.begin() as conn:
        sub_id, _ = save_push_subscription(
            conn,
            PushSubscriptionInput(
                endpoint=browser.endpoint,
                p256dh=browser.p256dh,
                auth=browser.auth,
                segments=segments,
                locale=locale,
                timezone=timezone,
            ),
            datetime.now(UTC),
        )
    return sub_id
