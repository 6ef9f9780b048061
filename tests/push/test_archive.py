"""The archive: /e/ lists sent editions newest first, paged; neighbours; an Atom feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from digest.app import App
from digest.web import create_app
from tests.push.helpers import push_app, push_config, store_edition

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def archive(tmp_path: Path, ca_bundle: Path) -> Iterator[tuple[App, TestClient]]:
    app = push_app(push_config(tmp_path, ca_bundle))
    start = date(2026, 1, 1)
    for i in range(25):
        store_edition(app, status="sent", day=start + timedelta(days=i))
    store_edition(app, status="draft", day=date(2026, 2, 1))
    store_edition(app, status="sending", day=date(2026, 2, 2))
    with TestClient(create_app(app)) as client:
        yield app, client
    app.engine.dispose()


def test_index_lists_each_segment_newest_first(archive: tuple[App, TestClient]) -> None:
    _, client = archive
    page = client.get("/e/")
    assert page.status_code == 200
    text = page.text
    assert text.index("2026-01-25") < text.index("2026-01-24") < text.index("2026-01-21")
    assert "2026-01-20" not in text  # five per segment on the index
    assert "2026-02-01" not in text and "2026-02-02" not in text  # only sent editions
    assert 'href="https://digest.skn.example/e/markets-en/"' in text
    assert "dana" not in text.lower() and "@" not in text.split("<footer>")[0]


def test_segment_pages_are_paged(archive: tuple[App, TestClient]) -> None:
    _, client = archive
    first = client.get("/e/markets-en/").text
    assert "2026-01-25" in first and "2026-01-06" in first and "2026-01-05" not in first
    assert 'rel="next" href="https://digest.skn.example/e/markets-en/?page=2"' in first
    second = client.get("/e/markets-en/?page=2").text
    assert "2026-01-05" in second and "2026-01-01" in second and "2026-01-06" not in second
    assert client.get("/e/markets-en/?page=3").status_code == 404
    assert client.get("/e/nope/").status_code == 404
    assert client.get("/e/markets-en/?page=-1").status_code == 404


def test_edition_pages_link_to_their_neighbours(archive: tuple[App, TestClient]) -> None:
    _, client = archive
    page = client.get("/e/markets-en/2026-01-10")
    assert page.status_code == 200
    assert 'rel="prev" href="https://digest.skn.example/e/markets-en/2026-01-09"' in page.text
    assert 'rel="next" href="https://digest.skn.example/e/markets-en/2026-01-11"' in page.text
    assert 'id="top-story"' in page.text
    newest = client.get("/e/markets-en/2026-01-25").text
    assert 'rel="next"' not in newest
    assert client.get("/e/markets-en/2026-02-01").status_code == 404  # a draft stays private


def test_atom_feed_of_the_digests(archive: tuple[App, TestClient]) -> None:
    _, client = archive
    r = client.get("/e/markets-en/feed.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 20
    first = entries[0]
    assert first.find(f"{ATOM}id").text == "https://digest.skn.example/e/markets-en/2026-01-25"
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "DAX closes at a record" in content.text
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "SKN Markets"
    assert client.get("/e/nope/feed.xml").status_code == 404
