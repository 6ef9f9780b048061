"""Sending through SendGrid: a real HTTP stand-in on 127.0.0.1 validates every request."""

from __future__ import annotations

from pathlib import Path

from digest.send.run import send_edition
from tests.send.helpers import (
    add_subscribers,
    reload,
    send_config,
    store_edition,
    variant_for,
)


def _config(tmp_path: Path, url: str, db_url: str | None = None, concurrency=2, **sendgrid):
    sendgrid = {"host": url, "timeout_seconds": 2, "batch_size": 10, **sendgrid}
    return send_config(
        tmp_path, db_url, kind="sendgrid", sendgrid=sendgrid, concurrency=concurrency
    )


def test_everyone_once_with_valid_bodies(tmp_path: Path, db_url: str, standin, new_app) -> None:
    app = new_app(_config(tmp_path, standin.url, db_url))
    ids = add_subscribers(app, 25)
    edition = store_edition(app)
    calls: list[str] = []
    report = send_edition(app, edition, variant_for(app.config, calls))
    counts = standin.delivered_counts()
    assert len(counts) == 25 and set(counts.values()) == {1}
    assert standin.state.invalid == []
    assert (report.recipients, report.sent, report.failed, report.unknown) == (25, 25, 0, 0)
    assert calls == ["en"]
    assert reload(app, edition).status == "sent"
    assert len(standin.state.requests) == 3  # 10 + 10 + 5
    req = standin.state.requests[0]
    assert req["custom_args"]["edition_id"] == str(edition.id)
    assert f"edition-{edition.id}" in req["categories"]
    # a second run sends nothing more
    again = send_edition(app, reload(app, edition), variant_for(app.config))
    assert again.sent_now == 0 and sum(standin.delivered_counts().values()) == 25
    assert ids
