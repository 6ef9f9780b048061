"""`--json` on every command that reports something, and every such output parses."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from digest.cli import CliError, cli
from tests.conftest import REPO, TEST_SECRET

# Commands that report in another form, and why.
NO_JSON = {
    "digest serve": "a server; its logs become JSON with --log-format json",
    "digest preview": "prints the email; --format json gives the edition as JSON",
    "digest subscribers export": "writes CSV",
}


def leaf_commands(group: click.Group = cli, prefix: str = "digest") -> Iterator[tuple[str, Any]]:
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from leaf_commands(cmd, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", cmd


def test_every_command_that_reports_has_json() -> None:
    missing = [
        path
        for path, cmd in leaf_commands()
        if path not in NO_JSON and "--json" not in {o for p in cmd.params for o in p.opts}
    ]
    assert missing == [], "add --json (digest.cli.json_option) to these commands"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter configuration after `digest init` and `digest run --demo`."""
    folder = tmp_path_factory.mktemp("json")
    shutil.copy(REPO / "config.yaml", folder / "config.yaml")
    (folder / "subs.csv").write_text(
        "email,name,locale,timezone,topics,segments\n"
        "csv@example.com,Csv,en,UTC,markets,markets-en\n"
        "broken,Bad,en,UTC,,markets-en\n",
        encoding="utf-8",
    )
    return folder


def run(folder: Path, *args: str, stdin: str | None = None) -> tuple[int, Any]:
    """The command in-process with --json: (exit code, parsed stdout)."""
    result = CliRunner().invoke(
        cli,
        ["--config", str(folder / "config.yaml"), *args],
        env={"DIGEST_SECRET_KEY": TEST_SECRET, "DATABASE_URL": None, "DIGEST_TRANSPORT": None},
        input=stdin,
    )
    if isinstance(result.exception, CliError):
        raise AssertionError(f"{args}: {result.exception.message}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    text = result.stdout.strip()
    try:
        return result.exit_code, json.loads(text)
    except json.JSONDecodeError:  # JSON lines (suppressions list)
        return result.exit_code, [json.loads(line) for line in text.splitlines()]


def test_every_json_output_parses(project: Path) -> None:
    code, init = run(project, "init", "--json")
    assert code == 0 and init["steps"][0]["outcome"] == "kept"
    code, demo = run(project, "run", "--demo", "--json")
    assert code == 0 and demo["summary"]["sent_now"] == 6
    assert demo["ingest"]["sources"][0]["name"] == "skn-demo"
    assert {s["segment"] for s in demo["segments"]} == {"markets-en", "tech-he"}
    code, ingest = run(project, "ingest", "--json")
    assert code == 0 and ingest["ok"] and ingest["sources"][0]["unchanged"] == 6
    assert run(project, "segments", "--json")[1][0]["segment"] == "markets-en"
    assert run(project, "status", "markets-en", "--json")[1]["sent"] == 3
    assert run(project, "send", "markets-en", "--yes", "--json")[1]["sent_now"] == 0
    assert "segments" in run(project, "schedule", "--json")[1]
    assert "runs" in run(project, "scheduler", "--once", "--json")[1]
    code, added = run(
        project, "subscribers", "add", "New@Example.com", "--segments", "tech-he", "--json"
    )
    assert code == 0 and added == {
        "email": "new@example.com",
        "outcome": "added",
        "status": "active",
        "segments": ["tech-he"],
        "suppressed": None,
        "receives_mail": True,
    }
    code, imported = run(project, "subscribers", "import", str(project / "subs.csv"), "--json")
    assert code == 1 and imported["inserted"] == 1 and imported["invalid"] == 1
    assert imported["errors"][0]["line"] == 3
    assert run(project, "subscribers", "show", "new@example.com", "--json")[1]["subscriber"]
    unsub = run(project, "subscribers", "unsubscribe", "new@example.com", "--json")[1]
    assert unsub == {"email": "new@example.com", "outcome": "unsubscribed"}
    added = run(project, "suppressions", "add", "x@example.com", "--json")[1]
    assert added["changed"] is True
    listed = run(project, "suppressions", "list", "--json")[1]
    assert {row["email"] for row in listed} >= {"x@example.com"}
    assert run(project, "suppressions", "remove", "x@example.com", "--json")[1]["removed"]
    staff = ["users", "add", "Ed@Bücher.de", "--role", "admin", "--password-stdin", "--json"]
    code, user = run(project, *staff, stdin="a long enough passphrase 42\n")
    assert code == 0 and user["email"] == "ed@xn--bcher-kva.de", "one address check for staff"
    assert run(project, "users", "list", "--json")[1][0]["role"] == "admin"
    assert run(project, "users", "set-role", "ed@xn--bcher-kva.de", "ops", "--json")[1]["role"]
    assert isinstance(run(project, "audit", "--json")[1], list | dict)
