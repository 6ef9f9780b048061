"""Run the real `digest` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import TEST_SECRET, config_dict


def write_config(tmp_path: Path, db_url: str | None = None, **overrides: object) -> Path:
    """A config.yaml under tmp_path (database and outbox there too)."""
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(config_dict(tmp_path, db_url, **overrides), allow_unicode=True),
        encoding="utf-8",
    )
    return path


def digest(
    *args: str,
    cwd: Path,
    env: dict[str, str | None] | None = None,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``digest ARGS`` (via this interpreter) and capture its output."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DIGEST_TRANSPORT", "DIGEST_CONFIG")
    }
    full_env.setdefault("DIGEST_SECRET_KEY", TEST_SECRET)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, "-c", "from digest.cli import main; main()", *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
