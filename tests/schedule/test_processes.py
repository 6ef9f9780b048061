"""Real scheduler.py processes: racing on one database, cron firing, signals, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from digest.config import parse_config
from digest.store.schema import ScheduleRunRow
from tests.conftest import FixedClock, make_app
from tests.schedule.conftest import (
    READERS,
    add_readers,
    outbox_counts,
    schedule_config,
    write_config,
    write_feed,
)

REPO = Path(__file__).resolve().parents[2]
SCHEDULER = REPO / "scheduler.py"


def prepared(tmp_path: Path, db_url: str, schedule: str = "* * * * *") -> Path:
    """A config whose markets-en segment is due every minute, a migrated DB with readers."""
    now = datetime.now(UTC)
    write_feed(tmp_path / "feed" / "skn.xml", now - timedelta(minutes=1))
    raw: dict[str, Any] = schedule_config(tmp_path, db_url)
    raw["segments"][0]["schedule"] = schedule
    raw["segments"][1]["schedule"] = "0 0 1 1 *"  # not due during the test
    app = make_app(parse_config(raw, "test"), FixedClock(now))
    add_readers(app)
    app.engine.dispose()
    return write_config(tmp_path, raw)


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["DIGEST_SECRET_KEY"] = "scheduler-test-secret-key-0123456789abcdef"
    out.pop("DATABASE_URL", None)
    return out


def start(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCHEDULER), "--config", str(config), *extra],
        cwd=config.parent,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def decisions(db_url: str) -> list[tuple[str, datetime, str]]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ScheduleRunRow.segment, ScheduleRunRow.due_at, ScheduleRunRow.outcome)
            ).all()
    finally:
        engine.dispose()
    return [(s, d if d.tzinfo else d.replace(tzinfo=UTC), o) for s, d, o in rows]


def test_two_once_processes_racing_on_sqlite_send_each_reader_one_email(
    tmp_path: Path, sqlite_url: str
) -> None:
    db_url = sqlite_url
    config = prepared(tmp_path, db_url)
    procs = [start(config, "--once"), start(config, "--once")]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    assert outbox_counts(tmp_path / "outbox") == {r: 1 for r in READERS}
    sent = [d for d in decisions(db_url) if d[0] == "markets-en" and d[2] == "sent"]
    assert len(sent) == 1
    assert any("markets-en" in out for out, _ in outputs)


def test_two_schedulers_on_postgresql_fire_on_the_minute_and_stop_on_sigterm(
    tmp_path: Path, pg_url: str
) -> None:
    config = prepared(tmp_path, pg_url)
    started = datetime.now(UTC)
    procs = [start(config), start(config)]
    try:
        deadline = time.monotonic() + 100
        fired = False
        while time.monotonic() < deadline and not fired:
            time.sleep(0.5)
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            fired = any(d[1] > started for d in decisions(pg_url) if d[0] == "markets-en")
        assert fired, "the cron job did not fire within the minute"
        time.sleep(1.5)  # let the second process settle the same due time too
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        outputs = [p.communicate(timeout=60) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "scheduler stopped" in err
    # One edition per day: the catch-up at start-up or the first fire sent it, once.
    assert outbox_counts(tmp_path / "outbox") == {r: 1 for r in READERS}
    rows = [d for d in decisions(pg_url) if d[0] == "markets-en"]
    assert [o for _, _, o in rows].count("sent") == 1
    after = [o for _, d, o in rows if d > started]
    assert after and set(after) <= {"sent", "skipped"}
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            "from digest.cli import main; main()",
            "--config",
            str(config),
            "schedule",
            "--json",
        ],
        cwd=tmp_path,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    payload = json.loads(listing.stdout)
    store_ids = {j["id"] for j in payload["job_store"]}
    assert {"digest:ingest", "digest:segment:markets-en", "digest:segment:tech-he"} <= store_ids
    markets = payload["segments"][0]
    assert markets["segment"] == "markets-en"
    assert markets["last_outcome"]["outcome"] in ("sent", "skipped")


def test_uninitialised_database_and_bad_config_are_clear_errors(tmp_path: Path) -> None:
    raw = schedule_config(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    config = write_config(tmp_path, raw)
    result = subprocess.run(
        [sys.executable, str(SCHEDULER), "--config", str(config), "--once"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "run `digest init` first" in result.stderr
    assert "Traceback" not in result.stderr
    raw["segments"][0]["timezone"] = "Mars/Olympus"
    write_config(tmp_path, raw)
    result = subprocess.run(
        [sys.executable, str(SCHEDULER), "--config", str(config)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "segments[0].timezone" in result.stderr and "Mars/Olympus" in result.stderr
    assert "Traceback" not in result.stderr
