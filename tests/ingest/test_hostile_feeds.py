"""Feeds that are huge, odd or local: read times stay plausible, file:// sources work."""

from __future__ import annotations

from pathlib import Path

import yaml

from digest.app import build
from digest.config import Secrets, load_config
from digest.ingest import ingest_sources
from digest.ingest.normalise import MAX_READ_MINUTES
from digest.store.articles import count_articles
from digest.store.db import upgrade
from tests.conftest import TEST_SECRET, FixedClock, config_dict
from tests.ingest.helpers import NOW, item, parse, rss


def test_a_huge_description_does_not_claim_days_of_reading() -> None:
    words = " ".join(["market"] * 840_000)  # about 5 MB of text
    feed = rss([item(1, summary=f"<p>{words}</p>")])
    [article] = parse(feed).articles
    assert article.read_minutes == MAX_READ_MINUTES
    assert MAX_READ_MINUTES <= 120


def test_an_absurd_read_time_given_by_the_feed_is_not_believed() -> None:
    feed = rss([item(1)]).replace(
        b"</item>",
        b'<skn:readMinutes xmlns:skn="https://www.skn.example/ns/digest">99999</skn:readMinutes></item>',
    )
    [article] = parse(feed).articles
    assert 1 <= article.read_minutes <= MAX_READ_MINUTES


def test_file_url_sources_are_read_from_where_they_point(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds with space"
    feeds.mkdir()
    (feeds / "wire.xml").write_bytes(rss([item(1), item(2)]))
    raw = config_dict(tmp_path)
    raw["sources"] = [
        {"name": "absolute", "url": (feeds / "wire.xml").as_uri()},
        {"name": "relative", "url": "file:feeds%20with%20space/wire.xml"},
    ]
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    path = elsewhere / "config.yaml"
    raw["database"]["url"] = f"sqlite:///{tmp_path / 'digest.db'}"
    raw["sources"][1]["url"] = "file:../feeds%20with%20space/wire.xml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    app = build(load_config(path), Secrets(secret_key=TEST_SECRET), clock=FixedClock(NOW))
    upgrade(app.engine)
    try:
        report = ingest_sources(app)
        assert [s.error for s in report.sources] == [None, None]
        with app.engine.connect() as conn:
            assert count_articles(conn) == 4  # each source keeps its own copy of the 2 items
    finally:
        app.engine.dispose()
