"""What the command line prints can never drive the terminal: control and bidi characters
from a webhook reason, an old row or an argument are shown escaped. Database errors never
print their bound parameters (keys, addresses, names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from digest.app import App
from digest.cli import CliError, cli
from digest.store.db import make_engine
from digest.store.schema import SubscriberRow
from digest.store.subscriptions import add_suppression
from tests.cli_helpers import write_config
from tests.conftest import TEST_SECRET, make_app, make_config

EVIL = "\x1b]0;owned\x07\x1b[2J\u202eevil\x9b31m"


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, App]:
    config = write_config(tmp_path)
    app = make_app(make_config(tmp_path))
    now = app.clock()
    with app.engine.begin() as conn:
        conn.execute(
            SubscriberRow.__table__.insert().values(
                email="old@example.com",
                name=EVIL,
                locale="en",
                timezone="UTC",
                topics=[EVIL],
                attributes={},
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        add_suppression(conn, "bounced@example.com", "bounce", "sendgrid", now, f"550 {EVIL}")
    return config, app


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), *args], env={"DIGEST_SECRET_KEY": TEST_SECRET}
    )


def _clean(output: str) -> None:
    for ch in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert ch not in output, repr(output)


def test_suppressions_list_shows_escapes_instead_of_obeying_them(
    project: tuple[Path, App],
) -> None:
    config, _ = project
    r = run(config, "suppressions", "list")
    assert r.exit_code == 0, r.output
    _clean(r.output)
    assert "550 \\x1b]0;owned\\x07" in r.output
    as_json = run(config, "suppressions", "list", "--json")
    _clean(as_json.output)
    assert json.loads(as_json.output.splitlines()[0])["detail"] == f"550 {EVIL}"


def test_subscribers_show_and_export_escape_stored_text(project: tuple[Path, App]) -> None:
    config, _ = project
    shown = run(config, "subscribers", "show", "old@example.com")
    assert shown.exit_code == 0, shown.output
    _clean(shown.output)
    assert "\\u202eevil" in shown.output
    as_json = run(config, "subscribers", "show", "old@example.com", "--json")
    _clean(as_json.output)
    assert json.loads(as_json.output)["subscriber"]["name"] == EVIL
    exported = run(config, "subscribers", "export")
    assert exported.exit_code == 0
    _clean(exported.output)
    assert "\\x1b]0;owned" in exported.output


def test_arguments_are_echoed_escaped(project: tuple[Path, App]) -> None:
    config, _ = project
    r = run(config, "subscribers", "show", "a\x1b[2J@example.com")
    assert isinstance(r.exception, CliError) and r.exception.exit_code == 2
    _clean(r.exception.message)
    assert "a\\x1b[2J@example.com" in r.exception.message
    r = run(config, "suppressions", "add", "x@example.com", "--note", "hi\x1b[2J")
    assert isinstance(r.exception, CliError) and r.exception.exit_code == 2
    assert "the note contains a control character (U+001B)" in r.exception.message


def test_database_errors_never_show_bound_parameters(tmp_path: Path, db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(SQLAlchemyError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :p"), {"p": "hunter2-secret"})
        assert "hunter2-secret" not in str(caught.value)
        assert "hidden due to hide_parameters" in str(caught.value)
    finally:
        engine.dispose()
