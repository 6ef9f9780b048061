"""Several ``digest send`` processes on one edition: batches are claimed, never shared."""

from __future__ import annotations

import json
from pathlib import Path

from digest.config import load_config
from tests.fakes.sendgrid_server import SendGridStandIn
from tests.send.cli_support import start_cli, write_config
from tests.send.helpers import EDITION_DATE, add_subscribers, store_edition


def test_two_senders_share_one_edition_without_overlap(tmp_path: Path, db_url: str, new_app):
    with SendGridStandIn(delay_seconds=0.05) as sg:
        config = write_config(
            tmp_path,
            db_url,
            kind="sendgrid",
            concurrency=2,
            sendgrid={"host": sg.url, "batch_size": 10, "timeout_seconds": 30},
        )
        app = new_app(load_config(config))
        add_subscribers(app, 200)
        store_edition(app, with_article=True)
        day = EDITION_DATE.isoformat()
        procs = [
            start_cli(config, "send", "markets-en", "--date", day, "--yes", "--json")
            for _ in range(2)
        ]
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
            reports.append(json.loads(out))
        counts = sg.delivered_counts()
        assert len(counts) == 200 and set(counts.values()) == {1}
        assert sum(r["sent_now"] for r in reports) == 200
        assert all(r["sent"] == 200 or r["edition_status"] == "sending" for r in reports)
        assert sg.state.invalid == []
