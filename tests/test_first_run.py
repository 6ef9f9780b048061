"""A first run without the source tree: `digest init` in an empty folder, then the demo."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import create_engine, select

from digest.config import load_config
from digest.store.schema import SettingRow
from tests.cli_helpers import digest

NO_KEY: dict[str, str | None] = {"DIGEST_SECRET_KEY": None}


def stored_signing_key(folder: Path) -> str | None:
    engine = create_engine(f"sqlite:///{folder / 'digest.db'}")
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(SettingRow.value).where(SettingRow.key == "token_secret_key")
            ).scalar_one_or_none()
    finally:
        engine.dispose()


def test_init_in_an_empty_folder_writes_a_commented_starter_and_sets_everything_up(
    tmp_path: Path,
) -> None:
    res = digest("init", cwd=tmp_path, env=NO_KEY)
    assert res.returncode == 0, res.stderr
    config = tmp_path / "config.yaml"
    text = config.read_text(encoding="utf-8")
    comments = [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    assert len(comments) >= 20, "the starter explains its keys in comments"
    assert load_config(config).segments, "the starter is a valid configuration"
    assert (tmp_path / "digest.db").is_file()
    assert stored_signing_key(tmp_path), "init creates the link-signing key"
    out = res.stdout
    assert f"wrote a starter configuration: {config}" in out
    assert "digest run --demo" in out and "digest scheduler" in out and "digest serve" in out


def test_init_never_overwrites_a_config_and_is_safe_to_repeat(tmp_path: Path) -> None:
    first = digest("init", cwd=tmp_path, env=NO_KEY)
    assert first.returncode == 0, first.stderr
    config = tmp_path / "config.yaml"
    edited = config.read_text(encoding="utf-8") + "\n# my own note\n"
    config.write_text(edited, encoding="utf-8")
    key = stored_signing_key(tmp_path)
    again = digest("init", cwd=tmp_path, env=NO_KEY)
    assert again.returncode == 0, again.stderr
    assert config.read_text(encoding="utf-8") == edited
    assert "kept the existing configuration" in again.stdout
    assert "database: already current" in again.stdout
    assert stored_signing_key(tmp_path) == key, "the signing key is never replaced"


def test_init_json_reports_each_step(tmp_path: Path) -> None:
    res = digest("init", "--json", cwd=tmp_path, env=NO_KEY)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["config"] == str(tmp_path / "config.yaml")
    steps = {s["step"]: s["outcome"] for s in report["steps"]}
    assert steps == {
        "config": "written",
        "database": "created",
        "signing key": "created",
        "web push key": "created",
    }
    assert "digest run --demo" in report["next"]
    again = json.loads(digest("init", "--json", cwd=tmp_path, env=NO_KEY).stdout)
    assert {s["step"]: s["outcome"] for s in again["steps"]} == {
        "config": "kept",
        "database": "current",
        "signing key": "kept",
        "web push key": "kept",
    }


def test_init_with_the_key_in_the_environment_stores_none(tmp_path: Path) -> None:
    res = digest("init", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    steps = {s["step"]: s["outcome"] for s in json.loads(res.stdout)["steps"]}
    assert steps["signing key"] == "environment"
    assert stored_signing_key(tmp_path) is None


def test_init_writes_the_starter_where_config_points(tmp_path: Path) -> None:
    target = tmp_path / "site" / "digest.yaml"
    target.parent.mkdir()
    res = digest("--config", str(target), "init", cwd=tmp_path, env=NO_KEY)
    assert res.returncode == 0, res.stderr
    assert target.is_file() and (target.parent / "digest.db").is_file()
    assert f"--config {target}" in res.stdout, "the next commands name the config file"


def test_a_missing_config_points_at_init(tmp_path: Path) -> None:
    res = digest("segments", cwd=tmp_path)
    assert res.returncode == 2
    assert "digest init" in res.stderr and "Traceback" not in res.stderr


def test_demo_then_scheduler_once_work_after_init(tmp_path: Path) -> None:
    assert digest("init", cwd=tmp_path, env=NO_KEY).returncode == 0
    demo = digest("run", "--demo", cwd=tmp_path, env=NO_KEY, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 6
    once = digest("scheduler", "--once", cwd=tmp_path, env=NO_KEY, timeout=300)
    assert once.returncode == 0, once.stderr
    assert "Traceback" not in once.stderr
    as_json = digest("scheduler", "--once", "--json", cwd=tmp_path, env=NO_KEY, timeout=300)
    assert as_json.returncode == 0, as_json.stderr
    runs = json.loads(as_json.stdout)["runs"]
    assert isinstance(runs, list)


def test_starter_config_is_the_top_level_config(tmp_path: Path) -> None:
    """One file: the repository's config.yaml is what `digest init` writes."""
    from digest.resources import starter_config_text
    from tests.conftest import REPO

    assert starter_config_text() == (REPO / "config.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(starter_config_text())["publication"]["name"]
