"""Fixtures for the web tests: an App with a recording transport and an in-process client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from digest.app import App
from digest.web import create_app
from tests.conftest import FixedClock, make_app, make_config
from tests.web.fakes import RecordingTransport
from tests.web.webhook_helpers import Signer, hook_app_for

BASE = "https://digest.skn.example"


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def web_app(tmp_path: Path, clock: FixedClock, transport: RecordingTransport) -> Iterator[App]:
    """A migrated App on SQLite whose emails go to the recording transport."""
    application = make_app(make_config(tmp_path), clock, transport=transport)
    yield application
    application.engine.dispose()


@pytest.fixture
def any_web_app(
    tmp_path: Path, db_url: str, clock: FixedClock, transport: RecordingTransport
) -> Iterator[App]:
    """The same App on SQLite and on PostgreSQL."""
    application = make_app(make_config(tmp_path, db_url), clock, transport=transport)
    yield application
    application.engine.dispose()


@pytest.fixture
def client(web_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(web_app), follow_redirects=False) as c:
        yield c


@pytest.fixture
def any_client(any_web_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(any_web_app), follow_redirects=False) as c:
        yield c


def link_path(text: str, kind: str) -> str:
    """The path of the first /{kind}/... link to our site found in an email body."""
    match = re.search(re.escape(BASE) + r"(/" + kind + r"/[A-Za-z0-9._\-]+)", text)
    assert match, f"no /{kind}/ link in:\n{text}"
    return match.group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


def subscribe_form(email: str, **overrides: Any) -> dict[str, Any]:
    """A valid subscribe form for ``email``."""
    form: dict[str, Any] = {
        "email": email,
        "segments": ["markets-en"],
        "topics": ["markets"],
        "locale": "en",
        "timezone": "Europe/London",
        "consent": "on",
    }
    form.update(overrides)
    return form


def subscribe_and_confirm(
    client: TestClient, transport: RecordingTransport, email: str, **overrides: Any
) -> None:
    """Run the whole double opt-in for ``email`` and check it ended confirmed."""
    r = client.post("/subscribe", data=subscribe_form(email, **overrides))
    assert r.status_code == 200, r.text
    confirm = link_path(transport.to(email)[-1].text, "c")
    r = client.post(confirm)
    assert r.status_code == 200
    assert "You are subscribed" in r.text or "נרשמתם" in r.text


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def hook_app(tmp_path: Path, db_url: str, clock: FixedClock, signer: Signer) -> Iterator[App]:
    """The webhook's App on SQLite and PostgreSQL, with subscribers and edition 41."""
    app = hook_app_for(tmp_path, db_url, clock, signer)
    yield app
    app.engine.dispose()


@pytest.fixture
def sqlite_hook_app(
    tmp_path: Path, sqlite_url: str, clock: FixedClock, signer: Signer
) -> Iterator[App]:
    """The same on SQLite only, for checks that never reach the database."""
    app = hook_app_for(tmp_path, sqlite_url, clock, signer)
    yield app
    app.engine.dispose()


@pytest.fixture
def hook_client(hook_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(hook_app)) as c:
        yield c


@pytest.fixture
def sqlite_hook_client(sqlite_hook_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_hook_app)) as c:
        yield c
