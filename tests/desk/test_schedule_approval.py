"""The scheduler and the approval policy: drafts ahead of time, held at the deadline, sent
once approved within the grace, and `scheduler.py --once` past the deadline sending nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.app import App
from digest.approval import approve_edition
from digest.config import parse_config
from digest.editorial import edition_view
from digest.lifecycle import EditionState
from digest.scheduling.drafts import prepare_drafts
from digest.scheduling.runner import ScheduleRunner
from tests.cli_helpers import digest
from tests.conftest import TEST_SECRET, FixedClock, make_app
from tests.schedule.conftest import (
    DUE,
    READERS,
    add_readers,
    outbox_counts,
    schedule_config,
    write_config,
    write_feed,
)

TODAY = date(2026, 1, 30)
REPO = Path(__file__).resolve().parents[2]
POLICY = {
    "approval": "required",
    "approval_deadline_minutes": 60,
    "on_unapproved": "hold",
    "draft_lead_hours": 12,
}


def _raw(tmp_path: Path, **policy: Any) -> dict[str, Any]:
    raw = schedule_config(tmp_path)
    raw["segments"][0].update(policy)
    raw["segments"][1]["schedule"] = "0 0 1 1 *"  # not due in these tests
    return raw


@pytest.fixture
def held_app(tmp_path: Path) -> Iterator[tuple[App, FixedClock]]:
    clock = FixedClock(DUE - timedelta(hours=13))
    write_feed(tmp_path / "feed" / "skn.xml", DUE - timedelta(hours=1))
    app = make_app(parse_config(_raw(tmp_path, **POLICY), "test"), clock)
    add_readers(app)
    yield app, clock
    app.engine.dispose()


def _outbox(app: App) -> dict[str, int]:
    return outbox_counts(Path(app.config.transport.outbox.path))


def _state(app: App) -> EditionState:
    return edition_view(app, "markets-en", TODAY).status


def test_draft_ahead_held_at_the_deadline_and_sent_once_approved(
    held_app: tuple[App, FixedClock],
) -> None:
    app, clock = held_app
    assert prepare_drafts(app) == []  # 13 h before: nothing yet
    clock.now = DUE - timedelta(hours=11)
    ScheduleRunner(app).ingest_if_stale()
    assert prepare_drafts(app) == ["markets-en 2026-01-30: draft ready (draft)"]
    assert _state(app) is EditionState.DRAFT
    clock.now = DUE - timedelta(minutes=59)
    (note,) = prepare_drafts(app)
    assert "held (approval required by 2026-01-30T06:00:00+00:00" in note
    assert _state(app) is EditionState.HELD
    clock.now = DUE + timedelta(minutes=1)
    (run,) = ScheduleRunner(app).catch_up()
    assert run.outcome == "held" and "not approved" in (run.reason or "")
    assert _outbox(app) == {}
    # an editor approves within the grace: the next tick sends exactly that
    clock.now = DUE + timedelta(minutes=10)
    approve_edition(app, "markets-en", TODAY, actor="web:editor@skn.example")
    (run,) = ScheduleRunner(app).catch_up()
    assert run.outcome == "sent"
    assert _outbox(app) == {r: 1 for r in READERS}


def test_a_held_edition_past_the_grace_is_skipped_and_says_why(
    held_app: tuple[App, FixedClock],
) -> None:
    app, clock = held_app
    clock.now = DUE + timedelta(minutes=1)
    (run,) = ScheduleRunner(app).catch_up()
    assert run.outcome == "held"
    clock.now = DUE + timedelta(minutes=61)  # the grace is 60 min
    (run,) = ScheduleRunner(app).catch_up()
    assert run.outcome == "missed"
    view = edition_view(app, "markets-en", TODAY)
    assert view.status is EditionState.SKIPPED and _outbox(app) == {}


def test_scheduler_once_past_the_deadline_sends_nothing_and_shows_held(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    write_feed(tmp_path / "feed" / "skn.xml", now - timedelta(minutes=2))
    raw = _raw(tmp_path, **POLICY)
    # due every minute: the current minute's deadline (60 min before) has long passed
    raw["segments"][0]["schedule"] = "* * * * *"
    raw["segments"][0]["timezone"] = "UTC"
    app = make_app(parse_config(raw, "test"), FixedClock(now))
    add_readers(app)
    app.engine.dispose()
    config = write_config(tmp_path, raw)
    env = {"DIGEST_SECRET_KEY": TEST_SECRET}
    done = subprocess.run(
        [sys.executable, str(REPO / "scheduler.py"), "--config", str(config), "--once"],
        cwd=tmp_path,
        env={**_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "held" in done.stderr
    assert _outbox_dir(tmp_path) == {}
    day = datetime.now(UTC).date().isoformat()
    status = digest(
        "status",
        "markets-en",
        "--date",
        day,
        "--json",
        cwd=tmp_path,
        env={"DIGEST_CONFIG": str(config)},
    )
    data = json.loads(status.stdout)
    assert data["status"] == "held"
    assert data["history"][-1]["action"] == "hold"
    assert "not approved" in data["history"][-1]["reason"]
    segments = json.loads(
        digest("segments", "--json", cwd=tmp_path, env={"DIGEST_CONFIG": str(config)}).stdout
    )
    last = next(s for s in segments if s["segment"] == "markets-en")["last_edition"]
    assert last["status"] == "held" and "not approved" in last["reason"]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIGEST_CONFIG")}


def _outbox_dir(tmp_path: Path) -> dict[str, int]:
    return outbox_counts(tmp_path / "outbox")
