"""Shared fixtures: real databases (SQLite file, PostgreSQL when reachable), configs, apps."""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from digest.app import App, build
from digest.config import Config, Secrets, parse_config
from digest.store.db import upgrade
from tests.browser import launched_chromium

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a worktree may sit a level deeper: the nearest one up wins)
SHARED = next(
    (p / "shared" for p in REPO.parents if (p / "shared" / "reference").is_dir()),
    REPO.parent / "shared",
)
PG_ADMIN_URL = os.environ.get(
    "DIGEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"

# Property tests: bounded and without a deadline, so the suite stays fast on a busy machine;
# no example database is written into the checkout.
settings.register_profile(
    "digest",
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),  # a busy machine is not a broken test
)
settings.load_profile("digest")


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it cannot be used."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: skip the PostgreSQL variants
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


_PG_SKIP: list[str | None] = []


def pg_skip_reason() -> str | None:
    if not _PG_SKIP:
        _PG_SKIP.append(_pg_available())
    return _PG_SKIP[0]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)
    name = f"digest_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'digest.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digest.db'}"
    return str(request.getfixturevalue("pg_url"))


BASE_CONFIG: dict[str, Any] = {
    "publication": {
        "name": "SKN Markets",
        "website": "https://www.skn.example",
        "postal_address": "12 Harbour Street, Tel Aviv 6100001, Israel",
        "from_email": "digest@skn.example",
        "from_name": "SKN Markets Digest",
        "reply_to": "editors@skn.example",
        "public_url": "https://digest.skn.example",
    },
    "database": {"url": "sqlite:///digest.db"},
    "sources": [],
    "topics": {
        "markets": {"categories": ["Markets", "Indices"], "keywords": ["index", "DAX", "stocks"]},
        "tech": {"categories": ["Technology"], "keywords": ["AI", "Nvidia", "software"]},
        "autos": {"categories": ["Autos"], "keywords": ["EV", "Ford", "automaker"]},
    },
    "ranking": {"half_life_hours": 12, "max_per_topic": 3},
    "segments": [
        {
            "name": "markets-en",
            "topics": {"markets": 1.0, "tech": 0.5},
            "schedule": "0 7 * * *",
            "timezone": "Europe/London",
            "locale": "en",
            "max_articles": 8,
            "lookback_hours": 24,
        },
        {
            "name": "tech-he",
            "topics": {"tech": 1.0, "autos": 0.8},
            "schedule": "30 6 * * 0-4",
            "timezone": "Asia/Jerusalem",
            "locale": "he",
            "max_articles": 6,
            "lookback_hours": 24,
        },
    ],
    "disclaimers": [
        {
            "id": "no-advice",
            "text": "This article, in whole or in part, does not contain any promise of investment "
            "returns, nor does it constitute professional advice to make investments in any "
            "particular field.",
            "link": "https://www.skn.example/disclaimer",
        }
    ],
    "transport": {"kind": "outbox", "outbox": {"path": "outbox"}},
}


def config_dict(tmp_path: Path, db_url: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A deep copy of BASE_CONFIG with the database and outbox under tmp_path."""
    raw = copy.deepcopy(BASE_CONFIG)
    raw["database"]["url"] = db_url or f"sqlite:///{tmp_path / 'digest.db'}"
    raw["transport"]["outbox"]["path"] = str(tmp_path / "outbox")
    for key, value in overrides.items():
        raw[key] = value
    return raw


def make_config(tmp_path: Path, db_url: str | None = None, **overrides: Any) -> Config:
    return parse_config(config_dict(tmp_path, db_url, **overrides), "test-config")


class FixedClock:
    """A controllable clock for tests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 30, 5, 0, tzinfo=UTC))


def make_app(config: Config, clock: FixedClock | None = None, **kw: Any) -> App:
    """Build the app with a test secret and migrate its database."""
    app = build(
        config,
        Secrets(secret_key=TEST_SECRET),
        clock=clock or FixedClock(datetime(2026, 1, 30, 5, 0, tzinfo=UTC)),
        **kw,
    )
    upgrade(app.engine)
    return app


@pytest.fixture
def app(tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """A migrated app on a SQLite file, outbox transport, fixed clock."""
    application = make_app(make_config(tmp_path), clock)
    yield application
    application.engine.dispose()


@pytest.fixture
def any_app(tmp_path: Path, db_url: str, clock: FixedClock) -> Iterator[App]:
    """The same app on SQLite and on PostgreSQL."""
    application = make_app(make_config(tmp_path, db_url), clock)
    yield application
    application.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for one test module (skips where it is missing)."""
    yield from launched_chromium()
