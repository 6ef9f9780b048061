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
    assert f"{csv}:3: skipped: invalid email address 'broken'" in res.stderr
    assert "2 new, 0 updated, 1 invalid row(s) skipped" in res.stdout
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
