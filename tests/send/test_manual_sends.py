"""Manual sends that ops can trust: dry runs write nothing, pause and cancel stop every sender
within one batch per thread and lose nobody, and a kill -9 on the outbox leaves nobody who
was never tried counted as unknown. Each test runs the real `digest` command."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from subprocess import Popen

import pytest
from sqlalchemy import func, select

from digest.config import load_config
from digest.store.schema import DeliveryRow, EditionHistoryRow, EditionRow, SendBatchRow
from tests.send.cli_support import run_cli, start_cli, status_json, write_config
from tests.send.helpers import EDITION_DATE, add_article, add_subscribers, store_edition

DAY = EDITION_DATE.isoformat()


def _rows(app, table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _outbox(tmp_path: Path) -> Counter[int]:
    """How many files each subscriber has in the outbox."""
    return Counter(int(p.stem.rsplit("-", 1)[1]) for p in (tmp_path / "outbox").rglob("*.eml"))


def test_dry_runs_for_today_and_a_future_date_write_nothing(tmp_path: Path, new_app) -> None:
    config = write_config(tmp_path)
    app = new_app(load_config(config))
    add_subscribers(app, 5)
    today = datetime.now(UTC).date()
    future = (today + timedelta(days=2)).isoformat()
    for args in (("--dry-run",), ("--date", future, "--dry-run")):
        done = run_cli(config, "send", "markets-en", *args)
        assert done.returncode == 0, done.stderr
        assert "nothing sent, nothing written" in done.stdout
        assert "suppressed: 0" in done.stdout and "en: 5 recipient(s)" in done.stdout
    for table in (EditionRow, EditionHistoryRow, DeliveryRow, SendBatchRow):
        assert _rows(app, table) == 0, table.__tablename__
    # once articles arrive, a real send for that date goes out (it was never stored skipped)
    add_article(app, datetime.now(UTC) - timedelta(hours=1))
    dry = run_cli(config, "send", "markets-en", "--date", future, "--dry-run", "--json")
    assert '"would_send": true' in dry.stdout and _rows(app, EditionRow) == 0
    sent = run_cli(config, "send", "markets-en", "--date", future, "--yes")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "sent 5" in sent.stdout and len(_outbox(tmp_path)) == 5


def _throttled(tmp_path: Path, new_app, db_url: str | None, n: int, rate: float = 40):
    # slow enough that a second `digest` command starts before the send is over, even on a
    # busy machine (the whole send takes n / rate seconds)
    config = write_config(
        tmp_path,
        db_url,
        rate_limit_per_second=rate,
        concurrency=2,
        outbox={"path": str(tmp_path / "outbox"), "batch_size": 20},
    )
    app = new_app(load_config(config))
    add_subscribers(app, n)
    store_edition(app, with_article=True)
    return config, app


def _stop_midway(tmp_path: Path, config: Path, proc: Popen[str], verb: str) -> int:
    """Wait for some files, then pause or cancel; the file count once the change is made."""
    deadline = time.monotonic() + 60
    while sum(_outbox(tmp_path).values()) < 100:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the send never got going"
        time.sleep(0.05)
    done = run_cli(config, verb, "markets-en", "--date", DAY)
    assert done.returncode == 0, done.stderr
    return sum(_outbox(tmp_path).values())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_pause_stops_every_sender_within_a_batch_and_resume_loses_nobody(
    tmp_path: Path, new_app, backend: str, request: pytest.FixtureRequest
) -> None:
    db_url = None if backend == "sqlite" else request.getfixturevalue("pg_url")
    config, _app = _throttled(tmp_path, new_app, db_url, 500)
    proc = start_cli(config, "send", "markets-en", "--date", DAY, "--yes", "--workers", "1")
    try:
        at_pause = _stop_midway(tmp_path, config, proc, "pause")
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    files = _outbox(tmp_path)
    assert sum(files.values()) <= at_pause + 2 * 20  # one batch per thread, at most
    mid = status_json(config, "markets-en", DAY)
    assert mid["status"] == "paused" and mid["in_flight"] == 0 and mid["unknown"] == 0
    assert mid["sent"] == len(files) and mid["pending"] == 500 - len(files) > 0
    assert "paused" in out
    assert [h["action"] for h in mid["history"]][-2:] == ["start", "pause"]
    resumed = run_cli(config, "resume", "markets-en", "--date", DAY)
    assert resumed.returncode == 0, resumed.stderr
    files = _outbox(tmp_path)
    assert len(files) == 500 and max(files.values()) == 1
    final = status_json(config, "markets-en", DAY)
    assert final["status"] == "sent" and final["sent"] == 500 and final["pending"] == 0


def test_cancel_stops_every_sender_and_a_later_send_is_refused(tmp_path: Path, new_app) -> None:
    config, _app = _throttled(tmp_path, new_app, None, 500, rate=25)
    proc = start_cli(config, "send", "markets-en", "--date", DAY, "--yes", "--workers", "1")
    try:
        at_cancel = _stop_midway(tmp_path, config, proc, "cancel")
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    sent = sum(_outbox(tmp_path).values())
    assert sent <= at_cancel + 2 * 20 and sent < 500
    again = run_cli(config, "send", "markets-en", "--date", DAY, "--yes")
    assert again.returncode == 4 and "cancelled" in again.stderr
    assert sum(_outbox(tmp_path).values()) == sent
    final = status_json(config, "markets-en", DAY)
    assert final["status"] == "cancelled" and final["sent"] == sent
    assert final["pending"] == 500 - sent and final["unknown"] == 0
    assert run_cli(config, "pause", "markets-en", "--date", DAY).returncode == 4


def test_kill_9_on_the_outbox_leaves_nobody_never_tried_unknown(tmp_path: Path, new_app) -> None:
    config, _app = _throttled(tmp_path, new_app, None, 500)
    proc = start_cli(config, "send", "markets-en", "--date", DAY, "--yes", "--workers", "1")
    try:
        deadline = time.monotonic() + 60
        while sum(_outbox(tmp_path).values()) < 150:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    mid = status_json(config, "markets-en", DAY)
    written = len(_outbox(tmp_path))
    assert mid["unknown"] == 0 and mid["in_flight"] == 0
    assert mid["sent"] == written and mid["pending"] == 500 - written > 0
    assert mid["status"] == "sending"
    resumed = run_cli(config, "send", "markets-en", "--date", DAY, "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    files = _outbox(tmp_path)
    assert len(files) == 500 and max(files.values()) == 1
    assert status_json(config, "markets-en", DAY)["status"] == "sent"


def test_sending_a_held_or_skipped_edition_is_refused(tmp_path: Path, new_app) -> None:
    config = write_config(tmp_path)
    app = new_app(load_config(config))
    add_subscribers(app, 3)
    store_edition(app, status="held", with_article=True)
    done = run_cli(config, "send", "markets-en", "--date", DAY, "--yes")
    assert done.returncode == 4 and "held" in done.stderr
    store_edition_day = date(2026, 1, 29).isoformat()
    skipped = run_cli(config, "send", "markets-en", "--date", store_edition_day, "--yes")
    assert skipped.returncode == 4 and "skipped" in skipped.stderr
    assert not (tmp_path / "outbox").exists()


def test_scheduler_once_exits_1_when_a_resume_it_started_failed(tmp_path: Path, new_app) -> None:
    import socket
    import subprocess
    import sys

    import yaml

    from tests.conftest import REPO
    from tests.send.cli_support import cli_env

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    config = write_config(
        tmp_path,
        kind="sendgrid",
        outage_after_seconds=0,
        sendgrid={"host": f"http://127.0.0.1:{port}", "max_retries": 0, "timeout_seconds": 2},
    )
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    for seg in raw["segments"]:
        seg["schedule"] = "0 0 1 1 *"  # not due while the test runs
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    app = new_app(load_config(config))
    add_subscribers(app, 3)
    store_edition(app, status="sending", with_article=True)
    done = subprocess.run(
        [sys.executable, str(REPO / "scheduler.py"), "--config", str(config), "--once"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=str(tmp_path),
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "markets-en 2026-01-30" in done.stdout and "resuming the send failed" in done.stdout
    assert "Traceback" not in done.stderr
