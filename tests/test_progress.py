"""Rich progress on a terminal: ingest counts sources, subscribers import counts rows.

The commands run in a real pseudo-terminal; without one (or with --json) nothing is drawn.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from tests.cli_helpers import digest, write_config
from tests.conftest import TEST_SECRET

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>https://www.skn.example/</link>
<item><title>DAX climbs</title><link>https://www.skn.example/{name}</link><guid>{name}</guid>
<pubDate>{date}</pubDate><category>Markets</category></item></channel></rss>"""


def in_terminal(args: list[str], cwd: Path, timeout: float = 120) -> tuple[int, str]:
    """Run ``digest ARGS`` with a pseudo-terminal as stdin, stdout and stderr."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIGEST_CONFIG")}
    env.update({"DIGEST_SECRET_KEY": TEST_SECRET, "TERM": "xterm-256color", "COLUMNS": "120"})
    proc = subprocess.Popen(
        [sys.executable, "-c", "from digest.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


def project(tmp_path: Path) -> Path:
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    sources = []
    for name in ("wire-one", "wire-two", "wire-three"):
        path = tmp_path / f"{name}.xml"
        path.write_text(FEED.format(name=name, date=when), encoding="utf-8")
        sources.append({"name": name, "url": str(path)})
    write_config(tmp_path, sources=sources)
    assert digest("init", cwd=tmp_path).returncode == 0
    rows = "".join(f"reader{i}@example.com,R {i},en,UTC,markets,markets-en\n" for i in range(3000))
    (tmp_path / "subs.csv").write_text(
        "email,name,locale,timezone,topics,segments\n" + rows, encoding="utf-8"
    )
    return tmp_path


def test_progress_on_a_terminal_and_none_without_one(tmp_path: Path) -> None:
    folder = project(tmp_path)
    code, screen = in_terminal(["ingest"], folder)
    assert code == 0, screen
    assert "sources" in screen and "3/3" in screen, "the bar counts sources"
    assert "ingested 3 of 3 source(s)" in screen
    code, screen = in_terminal(["subscribers", "import", "subs.csv"], folder)
    assert code == 0, screen
    assert "3,000 rows" in screen, "the bar counts rows"
    assert "imported 3000 subscriber(s)" in screen

    plain = digest("ingest", cwd=folder)
    assert "3/3" not in plain.stdout + plain.stderr and "\x1b[" not in plain.stderr
    code, screen = in_terminal(["ingest", "--json"], folder)
    assert code == 0 and "3/3" not in screen, "--json output is for programs: no bar"
