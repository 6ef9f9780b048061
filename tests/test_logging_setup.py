"""One logging set-up for every command: levels, text or JSON lines, context fields."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from digest.logging_setup import configure_logging
from tests.cli_helpers import digest, write_config


def test_json_lines_carry_the_fields_and_the_context(capsys: pytest.CaptureFixture[str]) -> None:
    undo = configure_logging("info", "json")
    try:
        log = logging.getLogger("digest.test")
        log.info("sent %d", 3, extra={"segment": "markets-en", "edition": 7})
        log.debug("not shown at info")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    finally:
        undo()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "sent 3" and first["level"] == "info"
    assert first["logger"] == "digest.test"
    assert first["segment"] == "markets-en" and first["edition"] == 7
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert second["level"] == "error" and "ValueError: boom" in second["exception"]


def test_text_lines_and_undo(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    undo = configure_logging("warning", "text")
    logging.getLogger("digest.test").warning("careful", extra={"source": "wire"})
    logging.getLogger("digest.test").info("quiet")
    logging.getLogger("httpx").warning("library warning shown at warning")
    undo()
    assert (root.level, list(root.handlers)) == before
    err = capsys.readouterr().err
    assert "WARNING digest.test: careful [source=wire]" in err
    assert "quiet" not in err and "library warning" in err


def test_quiet_level_silences_library_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    undo = configure_logging("error", "text")
    logging.getLogger("httpx").warning("not at error")
    logging.getLogger("digest.test").error("shown")
    undo()
    err = capsys.readouterr().err
    assert "not at error" not in err and "shown" in err


def test_bad_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("loud")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("info", "xml")


def test_every_command_shares_the_root_options(tmp_path: Path) -> None:
    """Quiet by default; --log-format json makes every stderr log line one JSON object."""
    write_config(tmp_path, sources=[{"name": "gone", "url": str(tmp_path / "missing.xml")}])
    assert digest("init", cwd=tmp_path).returncode == 0
    quiet = digest("ingest", cwd=tmp_path)
    assert quiet.returncode == 1
    assert "gone: FAILED" in quiet.stderr
    assert "WARNING" not in quiet.stderr, "one-shot commands log only errors by default"
    loud = digest("--log-level", "info", "--log-format", "json", "ingest", cwd=tmp_path)
    records = [json.loads(ln) for ln in loud.stderr.splitlines() if ln.startswith("{")]
    assert any(r["level"] == "warning" and "gone" in r["message"] for r in records)
    assert {"timestamp", "level", "logger", "message"} <= set(records[0])
    env = {"DIGEST_LOG_FORMAT": "json", "DIGEST_LOG_LEVEL": "debug"}
    once = digest("scheduler", "--once", cwd=tmp_path, env=env)
    assert once.returncode in (0, 1), once.stderr
    logged = [ln for ln in once.stderr.splitlines() if ln.strip()]
    assert logged and all(json.loads(ln)["logger"] for ln in logged)
