"""`digest schedule` lists each segment's next run, last outcome and the job store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli
from digest.scheduling.runner import ScheduleRunner
from tests.schedule.conftest import DUE, schedule_config, write_config


def test_schedule_lists_segments_outcomes_and_empty_job_store(
    tmp_path: Path, sched_app: tuple, monkeypatch
) -> None:
    app, clock = sched_app
    clock.now = DUE + timedelta(minutes=3)
    ScheduleRunner(app).catch_up()
    config = write_config(tmp_path, schedule_config(tmp_path, str(app.engine.url)))
    monkeypatch.setenv("DIGEST_SECRET_KEY", "cli-test-secret-key-0123456789abcdefghij")
    result = CliRunner().invoke(cli, ["--config", str(config), "schedule"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "markets-en: '0 7 * * *' in Europe/London" in out
    assert "tech-he: '30 6 * * 0-4' in Asia/Jerusalem" in out
    assert "last outcome: sent for 2026-01-30" in out
    assert "job store:    not registered" in out
    assert "ingest: every 15 min; job store: not registered" in out
    assert "recent decisions:" in out and "markets-en 2026-01-30 due 2026-01-30T07:00:00" in out
    bad = CliRunner().invoke(cli, ["--config", str(config), "schedule", "--segment", "nope"])
    assert bad.exit_code != 0
    assert isinstance(bad.exception, Exception) and "unknown segment 'nope'" in str(bad.exception)
