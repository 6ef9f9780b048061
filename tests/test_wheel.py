"""A wheel that works anywhere: build it, install it into a fresh venv, first run in an
empty folder with no source tree in sight.

The slowest test of the suite (about 20-40 s): it builds the wheel offline with the build
backend the test extras install (`--no-build-isolation`), and installs it without
dependencies into a venv that sees this interpreter's packages, so it needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import REPO

# what a build needs from the checkout; tests, docs and benchmarks stay behind
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "config.yaml",
    "scheduler.py",
    "src",
    "templates",
)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _build_backend_missing() -> str | None:
    """Why the wheel cannot be built offline here (None when it can)."""
    try:
        version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        return "setuptools is not installed (pip install -e '.[test]')"
    if tuple(int(p) for p in version.split(".")[:2] if p.isdigit()) < (70, 1):
        return (
            f"setuptools {version} < 70.1 cannot build the wheel offline (pip install -e '.[test]')"
        )
    return None


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, f"{cmd} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
    assert "Traceback" not in res.stderr, res.stderr
    return res.stdout


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in BUILD_INPUTS:
        path = REPO / name
        if not path.exists():
            continue
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-q", "-w", str(dist)],
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("digest-*.whl")
    return wheel


def clean_env(venv: Path) -> dict[str, str]:
    drop = ("DATABASE_URL", "DIGEST_TRANSPORT", "DIGEST_CONFIG", "DIGEST_SECRET_KEY", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def test_built_wheel_installs_and_runs_the_first_run_in_an_empty_folder(tmp_path: Path) -> None:
    reason = _build_backend_missing()
    if reason:
        pytest.skip(reason)
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "digest/templates/email/digest.html.j2" in names
    assert "digest/templates/email/partials/footer.html.j2" in names
    assert "digest/starter/config.yaml" in names
    assert not [n for n in names if n.startswith(("templates/", "tests/"))]

    venv = tmp_path / "venv"
    run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        tmp_path,
    )
    python = str(venv / "bin" / "python")
    env = clean_env(venv)
    run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path, env
    )

    empty = tmp_path / "newsroom"
    empty.mkdir()
    where = run([python, "-c", "import digest; print(digest.__file__)"], empty, env)
    assert where.strip().startswith(str(venv)), f"digest imported from {where}, not the wheel"

    digest = str(venv / "bin" / "digest")
    out = run([digest, "init"], empty, env)
    assert (empty / "config.yaml").is_file() and "digest run --demo" in out
    out = run([digest, "run", "--demo"], empty, env)
    assert len(list((empty / "outbox").rglob("*.eml"))) == 6, out
    run([digest, "scheduler", "--once"], empty, env)
    assert sorted(p.name for p in empty.iterdir()) == [
        "config.yaml",
        "demo-feed",
        "digest.db",
        "outbox",
    ]
