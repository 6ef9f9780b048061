"""Running the real ``digest`` command in a subprocess against a config file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, TEST_SECRET, config_dict
from tests.fakes.sendgrid_server import VALID_KEY

RUN_CLI = "from digest.cli import main; main()"


def write_config(tmp_path: Path, db_url: str | None = None, **transport: Any) -> Path:
    """A config.yaml under tmp_path with ``transport`` merged in."""
    raw = config_dict(tmp_path, db_url)
    raw["transport"].update(transport)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a digest subprocess (secrets set, no outside network)."""
    env = dict(os.environ)
    env.update(
        {
            "DIGEST_SECRET_KEY": TEST_SECRET,
            "SENDGRID_API_KEY": VALID_KEY,
            # this checkout's code first, whatever copy of digest is installed
            "PYTHONPATH": os.pathsep.join((str(REPO / "src"), str(REPO))),
            "NO_COLOR": "1",
        }
    )
    env.pop("DIGEST_CONFIG", None)
    env.update(extra)
    return env


def start_cli(config: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """Start ``digest --config CONFIG ARGS…`` without waiting."""
    return subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**env),
        cwd=str(config.parent),
    )


def run_cli(
    config: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``digest --config CONFIG ARGS…`` to completion."""
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=cli_env(**env),
        cwd=str(config.parent),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def status_json(config: Path, segment: str, date: str) -> dict[str, Any]:
    """``digest status SEGMENT --date D --json`` parsed."""
    done = run_cli(config, "status", segment, "--date", date, "--json")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)
