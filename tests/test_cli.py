"""The real CLI in subprocesses: exit codes, messages without tracebacks, core commands."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import digest, write_config

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>https://www.skn.example/</link>
<description>d</description>
<item><title>SKN | DAX climbs as stocks rally</title>
<link>https://www.skn.example/a?utm_source=x</link><guid>a</guid><pubDate>{date}</pubDate>
<category>Markets</category><description>The DAX index rose.</description></item>
<item><title>Nvidia bets on AI</title><link>https://www.skn.example/b</link>
<guid>b</guid><pubDate>{date}</pubDate><category>Technology</category>
<description>AI spending.</description></item>
</channel></rss>"""


def setup(tmp_path: Path) -> Path:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    feed = tmp_path / "feed.xml"
    feed.write_text(
        FEED.format(date=format_datetime(datetime.now(UTC) - timedelta(hours=1))), encoding="utf-8"
    )
    write_config(
        tmp_path,
        sources=[
            {"name": "local", "url": str(feed)},
            {"name": "gone", "url": str(tmp_path / "missing.xml")},
        ],
    )
    assert digest("init", cwd=tmp_path).returncode == 0
    return tmp_path


def test_bad_config_exits_2_with_key_path_and_no_traceback(tmp_path: Path) -> None:
    write_config(tmp_path)
    text = (
        (tmp_path / "config.yaml")
        .read_text()
        .replace("timezone: Asia/Jerusalem", "timezone: Asia/Atlantis")
    )
    (tmp_path / "config.yaml").write_text(text)
    res = digest("segments", cwd=tmp_path)
    assert res.returncode == 2
    assert "segments[1].timezone: unknown IANA timezone 'Asia/Atlantis'" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_missing_config_and_uninitialised_database(tmp_path: Path) -> None:
    res = digest("segments", cwd=tmp_path)
    assert res.returncode == 2 and "config file not found" in res.stderr
    write_config(tmp_path)
    res = digest("segments", cwd=tmp_path)
    assert res.returncode == 2 and "run `digest init`" in res.stderr
    assert "Traceback" not in res.stderr


def test_ingest_names_the_failing_source_and_keeps_the_rest(tmp_path: Path) -> None:
    setup(tmp_path)
    res = digest("ingest", cwd=tmp_path)
    assert res.returncode == 1
    assert "gone: FAILED" in res.stderr
    assert "local: 2 items, 2 new" in res.stdout
    again = digest("ingest", "--source", "local", cwd=tmp_path)
    assert again.returncode == 0 and "0 new, 0 updated, 2 unchanged" in again.stdout
    bad = digest("ingest", "--source", "nope", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown source(s): nope" in bad.stderr


def test_import_reports_bad_rows_by_line_and_exports(tmp_path: Path) -> None:
    setup(tmp_path)
    csv = tmp_path / "subs.csv"
    csv.write_text(
        "email,name,locale,timezone,topics,segments\n"
        "ann@example.com,Ann,en,Europe/London,markets,markets-en\n"
        "broken,Bad,en,UTC,,markets-en\n"
        "noa@example.com,נועה,he,Asia/Jerusalem,tech,tech-he\n",
        encoding="utf-8",
    )
    res = digest("subscribers", "import", str(csv), cwd=tmp_path)
    assert res.returncode == 1
    assert f"{csv}:3: skipped: not a valid email address: 'broken'" in res.stderr
    assert "2 new, 0 updated, 0 unchanged; 1 invalid row(s) and 0 duplicate(s)" in res.stdout
    out = digest("subscribers", "export", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.splitlines()[1:] == [
        "ann@example.com,Ann,en,Europe/London,markets,markets-en,active",
        "noa@example.com,נועה,he,Asia/Jerusalem,tech,tech-he,active",
    ]
    segs = json.loads(digest("segments", "--json", cwd=tmp_path).stdout)
    assert {s["segment"]: s["subscribers"] for s in segs} == {"markets-en": 1, "tech-he": 1}
    assert all(s["next_run"] for s in segs)


def test_preview_json_and_explain(tmp_path: Path) -> None:
    setup(tmp_path)
    digest("ingest", cwd=tmp_path)
    res = digest("preview", "markets-en", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data) >= {"segment", "date", "subject", "articles"}
    assert data["segment"] == "markets-en"
    titles = [a["title"] for a in data["articles"]]
    assert titles[0] == "SKN | DAX climbs as stocks rally"
    first = data["articles"][0]
    assert first["url"] == "https://www.skn.example/a"  # tracking parameter removed
    assert set(first) == {"url", "title", "author", "published", "topics", "score"}
    explain = digest("preview", "markets-en", "--explain", cwd=tmp_path)
    assert "affinity" in explain.stdout and "decay" in explain.stdout
    bad = digest("preview", "nope", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown segment 'nope'" in bad.stderr
    bad_date = digest("preview", "markets-en", "--date", "30/01/2026", cwd=tmp_path)
    assert bad_date.returncode == 2 and "--date must be YYYY-MM-DD" in bad_date.stderr


def test_preview_explains_the_stored_edition_it_shows(tmp_path: Path) -> None:
    import sqlite3

    setup(tmp_path)
    digest("ingest", cwd=tmp_path)
    sent = digest("send", "markets-en", "--yes", cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    db = sqlite3.connect(tmp_path / "digest.db")
    with db:  # an editor took the AI story out of the stored edition
        db.execute(
            "UPDATE edition_items SET removed = 1 WHERE article_id = "
            "(SELECT id FROM articles WHERE title = 'Nvidia bets on AI')"
        )
    db.close()
    shown = json.loads(digest("preview", "markets-en", "--format", "json", cwd=tmp_path).stdout)
    assert [a["title"] for a in shown["articles"]] == ["SKN | DAX climbs as stocks rally"]
    explain = digest("preview", "markets-en", "--explain", cwd=tmp_path).stdout
    selected, _, left_out = explain.partition("left out:")
    assert "DAX climbs" in selected and "Nvidia" not in selected
    assert "Nvidia bets on AI: removed from this edition by an editor" in left_out


def test_preview_refuses_a_locale_it_cannot_render(tmp_path: Path) -> None:
    setup(tmp_path)
    bad = digest("preview", "markets-en", "--locale", "fr", cwd=tmp_path)
    assert (
        bad.returncode == 2 and "--locale 'fr': segment markets-en sends in: en, he" in bad.stderr
    )


def test_serve_on_a_busy_port_exits_5(tmp_path: Path) -> None:
    import socket

    setup(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        res = digest("serve", "--host", "127.0.0.1", "--port", port, cwd=tmp_path, timeout=60)
    assert res.returncode == 5, res.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr and "Traceback" not in res.stderr
