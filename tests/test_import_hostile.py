"""`digest subscribers import` and `export` against hostile or careless files, on both
databases: control characters, bidi overrides, NULs, spreadsheet formulas, duplicates,
re-imports, and imports that are interrupted or killed half-way."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from digest.app import App
from digest.cli import cli
from digest.store.schema import ConsentRow, SubscriberRow, SubscriberSegmentRow
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from tests.cli_helpers import write_config
from tests.conftest import TEST_SECRET, make_app, make_config

HEADER = "email,name,locale,timezone,topics,segments\n"


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Iterator[tuple[Path, App]]:
    config = write_config(tmp_path, db_url)
    app = make_app(make_config(tmp_path, db_url))
    yield config, app
    app.engine.dispose()


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), *args], env={"DIGEST_SECRET_KEY": TEST_SECRET}
    )


def _count(app: App, table: type = SubscriberRow) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_rows_with_control_characters_or_nul_are_skipped_by_line(
    project: tuple[Path, App], tmp_path: Path
) -> None:
    config, app = project
    data = tmp_path / "subs.csv"
    data.write_text(
        HEADER
        + "ok@example.com,Dana,en,UTC,,markets-en\n"
        + "nul@example.com,Da\x00na,en,UTC,,markets-en\n"
        + "esc@example.com,\x1b]0;pwned\x07,en,UTC,,markets-en\n"
        + "bidi@example.com,admin\u202egpj.exe,en,UTC,,markets-en\n"
        + 'line@example.com,"two\nlines",en,UTC,,markets-en\n'
        + "tz@example.com,Tom,en,Europe/London\x00,,markets-en\n"
        + "he@example.com,\u200fדנה כהן,he,Asia/Jerusalem,tech,tech-he\n",
        encoding="utf-8",
    )
    r = run(config, "subscribers", "import", str(data))
    assert r.exit_code == 1, r.output
    assert f"{data}:3: skipped: the name contains a NUL character (U+0000)" in r.output
    assert f"{data}:4: skipped: the name contains a control character (U+001B)" in r.output
    assert f"{data}:5: skipped: the name contains a bidirectional override (U+202E)" in r.output
    assert f"{data}:6: skipped: the name contains a line break (U+000A)" in r.output
    assert f"{data}:8: skipped: the timezone contains a NUL character (U+0000)" in r.output
    assert "\x1b" not in r.output and "\u202e" not in r.output and "\x00" not in r.output
    assert "ok@example.com" not in r.output  # no dump of the other rows
    assert "2 new" in r.output and "5 invalid row(s)" in r.output
    with app.engine.connect() as conn:
        assert subscriber_by_email(conn, "nul@example.com") is None
        he = subscriber_by_email(conn, "he@example.com")
    assert he is not None and he.name == "\u200fדנה כהן"


def test_reimport_reports_unchanged_rows_and_duplicates_by_line(
    project: tuple[Path, App], tmp_path: Path
) -> None:
    config, app = project
    data = tmp_path / "subs.csv"
    rows = (
        "a@example.com,Ann,en,UTC,markets,markets-en\n"
        "b@example.com,Ben,he,Asia/Jerusalem,tech;autos,tech-he;markets-en\n"
        "c@example.com,,en,UTC,,markets-en\n"
    )
    data.write_text(HEADER + rows, encoding="utf-8")
    first = run(config, "subscribers", "import", str(data))
    assert first.exit_code == 0, first.output
    assert "3 new, 0 updated, 0 unchanged" in first.output
    with app.engine.connect() as conn:
        before = conn.execute(select(SubscriberRow.email, SubscriberRow.updated_at)).all()
    data.write_text(
        HEADER
        + rows.replace("Ben,he", "Benny,he")
        + "A@Example.com,Ann Again,en,UTC,markets,markets-en\n"
        + "d@example.com,Dov,en,UTC,,markets-en\n"
        + "a@example.com,Ann Thrice,en,UTC,,markets-en\n",
        encoding="utf-8",
    )
    again = run(config, "subscribers", "import", str(data))
    assert again.exit_code == 1, again.output
    assert f"{data}:5: skipped: the same address as line 2" in again.output
    assert f"{data}:7: skipped: the same address as line 2" in again.output
    assert "1 new, 1 updated, 2 unchanged" in again.output
    assert "2 duplicate(s) skipped" in again.output
    with app.engine.connect() as conn:
        a = subscriber_by_email(conn, "a@example.com")
        b = subscriber_by_email(conn, "b@example.com")
        after = dict(conn.execute(select(SubscriberRow.email, SubscriberRow.updated_at)).all())
    assert a is not None and a.name == "Ann"  # the first row for an address counts
    assert b is not None and b.name == "Benny" and b.segments == ("markets-en", "tech-he")
    assert after["a@example.com"] == dict(before)["a@example.com"]  # unchanged: not rewritten
    assert _count(app, ConsentRow) == 4  # one import record per new subscriber


def test_export_defuses_spreadsheet_formulas_and_reimports_unchanged(
    project: tuple[Path, App], tmp_path: Path
) -> None:
    config, app = project
    names = {
        "f1@example.com": '=HYPERLINK("https://evil.example","Click")',
        "f2@example.com": "+cmd|' /C calc'!A0",
        "f3@example.com": "@SUM(1+1)*cmd|' /C calc'!A0",
        "f4@example.com": "-2+3",
        "-dash@example.com": "Plain",
        "f5@example.com": "'quoted already",
    }
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [SubscriberInput(email=e, name=n, segments=("markets-en",)) for e, n in names.items()],
            app.clock(),
        )
        conn.execute(
            SubscriberRow.__table__.insert().values(
                email="old@example.com",
                name="\tTab\rReturn",
                locale="en",
                timezone="UTC",
                topics=[],
                attributes={},
                status="active",
                created_at=app.clock(),
                updated_at=app.clock(),
            )
        )
    out = tmp_path / "export.csv"
    r = run(config, "subscribers", "export", "--out", str(out))
    assert r.exit_code == 0, r.output
    rows = {row[0]: row for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8")))}
    for email in names:
        cell = rows[f"'{email}" if email.startswith("-") else email][1]
        assert cell[0] not in "=+-@\t\r", cell
    assert rows["f1@example.com"][1] == "'" + names["f1@example.com"]
    assert rows["'-dash@example.com"][0] == "'-dash@example.com"
    assert rows["f5@example.com"][1] == "'quoted already"
    assert rows["old@example.com"][1] == "\\x09Tab\\x0dReturn"  # old data, shown not obeyed
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(ln for ln in lines if not ln.startswith("old@")), encoding="utf-8")
    again = run(config, "subscribers", "import", str(out))
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 6 unchanged" in again.output
    with app.engine.connect() as conn:
        assert subscriber_by_email(conn, "f1@example.com").name == names["f1@example.com"]  # type: ignore[union-attr]
        assert subscriber_by_email(conn, "-dash@example.com") is not None


def _slow_import(
    config: Path, fifo: Path, rows: int, stop: signal.Signals
) -> subprocess.CompletedProcess[str]:
    """Import from a pipe that delivers half the rows, then stop the importer with ``stop``."""
    env = {**os.environ, "DIGEST_SECRET_KEY": TEST_SECRET}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from digest.cli import main; main()", "--config", str(config)]
        + ["subscribers", "import", str(fifo)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as pipe:
            pipe.write(HEADER)
            for i in range(rows // 2):
                pipe.write(f"k{i}@example.com,Reader {i},en,UTC,markets,markets-en\n")
            pipe.flush()
            time.sleep(3)  # the importer has staged what it read: now stop it mid-file
            proc.send_signal(stop)
            time.sleep(2)

    writer = threading.Thread(target=feed)
    writer.start()
    out, err = proc.communicate(timeout=120)
    writer.join()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_or_interrupted_import_changes_nothing(
    project: tuple[Path, App], tmp_path: Path, stop: signal.Signals
) -> None:
    config, app = project
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn, [SubscriberInput(email="k1@example.com", name="Before")], app.clock()
        )
    fifo = tmp_path / "subs.csv"
    os.mkfifo(fifo)
    result = _slow_import(config, fifo, 20_000, stop)
    if stop is signal.SIGKILL:
        assert result.returncode == -signal.SIGKILL
    else:
        assert result.returncode == 130, result.stderr
        assert "nothing was imported" in result.stderr
        assert "Traceback" not in result.stderr
    assert _count(app) == 1
    assert _count(app, SubscriberSegmentRow) == 0
    with app.engine.connect() as conn:
        kept = subscriber_by_email(conn, "k1@example.com")
    assert kept is not None and kept.name == "Before"
