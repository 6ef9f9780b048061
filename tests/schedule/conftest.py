"""Scheduling fixtures: a publication with a local feed, subscribers and a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from digest.app import App
from digest.demo import SEED, demo_feed_xml, seed_articles
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.conftest import FixedClock, config_dict, make_app

# Friday 30 January 2026, 07:00 in London (GMT): markets-en is due.
DUE = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
READERS = ("ada@example.com", "ben@example.com", "cy@example.com")


def write_feed(path: Path, now: datetime, *, new_stories: str = "") -> None:
    """The publication's latest articles as an RSS file, published just before ``now``.

    With ``new_stories``, every story gets a new link and guid: a day of fresh content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    articles = seed_articles(SEED.read_text(encoding="utf-8"))
    if new_stories:
        articles = [replace(a, slug=f"{a.slug}-{new_stories}") for a in articles]
    path.write_text(demo_feed_xml(articles, now), encoding="utf-8")


def schedule_config(tmp_path: Path, db_url: str | None = None, **scheduler: Any) -> dict[str, Any]:
    """Config mapping: one local source and the two base segments, markets-en first."""
    raw = config_dict(tmp_path, db_url)
    raw["sources"] = [{"name": "skn", "url": str(tmp_path / "feed" / "skn.xml")}]
    raw["scheduler"] = {"ingest_interval_minutes": 15, "misfire_grace_minutes": 60, **scheduler}
    return raw


def add_readers(app: App, segment: str = "markets-en") -> None:
    """Three active readers of ``segment``."""
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [
                SubscriberInput(email=e, name=e.split("@")[0].title(), segments=(segment,))
                for e in READERS
            ],
            app.clock(),
            source="test",
        )


def outbox_counts(outbox: Path) -> dict[str, int]:
    """How many .eml files each recipient got in the outbox."""
    counts: dict[str, int] = {}
    for eml in outbox.rglob("*.eml"):
        for line in eml.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("to:"):
                addr = line.split(":", 1)[1].strip()
                addr = addr.split("<")[-1].rstrip(">").strip().lower()
                counts[addr] = counts.get(addr, 0) + 1
                break
    return counts


def write_config(tmp_path: Path, raw: dict[str, Any]) -> Path:
    """Write ``raw`` as config.yaml in tmp_path; its path."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _sched_app(tmp_path: Path, db_url: str) -> Iterator[tuple[App, FixedClock]]:
    clock = FixedClock(DUE)
    write_feed(tmp_path / "feed" / "skn.xml", DUE)
    from digest.config import parse_config

    config = parse_config(schedule_config(tmp_path, db_url), "test")
    app = make_app(config, clock)
    add_readers(app)
    yield app, clock
    app.engine.dispose()


@pytest.fixture
def sched_app(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[App, FixedClock]]:
    """A migrated SQLite app with readers and a fresh feed file, clock at DUE."""
    yield from _sched_app(tmp_path, sqlite_url)


@pytest.fixture
def any_sched_app(tmp_path: Path, db_url: str) -> Iterator[tuple[App, FixedClock]]:
    """The same on SQLite and on PostgreSQL."""
    yield from _sched_app(tmp_path, db_url)
