"""``digest send SEGMENT --only``: listed people who did not get an edition get it, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from digest.app import App
from digest.only_send import OnlyRefused, read_addresses, send_only
from digest.sending import edition_status
from digest.store.schema import DeliveryRow, SendBatchRow, SubscriberRow
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.ops.helpers import sent_edition
from tests.send.helpers import EDITION_DATE, NOW, send_config, store_edition


def _outbox_count(app: App) -> dict[str, int]:
    counts: dict[str, int] = {}
    for eml in Path(app.config.transport.outbox.path).rglob("*.eml"):
        for line in eml.read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("to:"):
                address = line.split(":", 1)[1].split("<")[-1].rstrip(">").strip().lower()
                counts[address] = counts.get(address, 0) + 1
                break
    return counts


def _late_subscribers(app: App, *emails: str, segments: tuple[str, ...] = ("markets-en",)) -> None:
    with app.engine.begin() as conn:
        upsert_subscribers(conn, [SubscriberInput(email=e, segments=segments) for e in emails], NOW)


def test_addresses_are_read_from_lists_and_files() -> None:
    good, bad = read_addresses(
        [
            "A@x.example, b@x.example;c@x.example",
            "a@x.example\n# a comment\nnot-an-address d@x.example",
        ]
    )
    assert good == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert bad == ["not-an-address"]


def test_only_sends_to_the_listed_who_did_not_get_it_once(
    new_app: Callable[..., App], tmp_path: Path, db_url: str
) -> None:
    app = new_app(send_config(tmp_path, db_url))
    edition = sent_edition(app, 3)
    first = "markets-en-r000000@example.com"
    _late_subscribers(app, "late@example.com", "other@example.com")
    _late_subscribers(app, "tech@example.com", segments=("tech-he",))
    with app.engine.begin() as conn:  # one reader was refused by the provider this morning
        sid = conn.execute(
            select(SubscriberRow.id).where(SubscriberRow.email == "markets-en-r000001@example.com")
        ).scalar_one()
        conn.execute(
            update(DeliveryRow)
            .where(DeliveryRow.edition_id == edition.id, DeliveryRow.subscriber_id == sid)
            .values(status="failed", error="550 mailbox full")
        )
    before = _outbox_count(app)
    listed = [first, "late@example.com", "markets-en-r000001@example.com", "tech@example.com",
              "nobody@example.com"]  # fmt: skip
    dry = send_only(app, "markets-en", EDITION_DATE, listed, actor="test", dry_run=True)
    assert dry.to_send == ("late@example.com", "markets-en-r000001@example.com")
    assert _outbox_count(app) == before
    report = send_only(app, "markets-en", EDITION_DATE, listed, actor="test")
    assert report.to_send == ("late@example.com", "markets-en-r000001@example.com")
    assert report.outcome == {"late@example.com": "sent", "markets-en-r000001@example.com": "sent"}
    assert dict(report.skipped) == {
        first: "already sent this edition",
        "tech@example.com": "not subscribed to markets-en",
    }
    assert report.unknown == ("nobody@example.com",) and not report.complete
    after = _outbox_count(app)
    assert after["late@example.com"] == 1 and after["markets-en-r000001@example.com"] == 2
    assert after[first] == 1 and "other@example.com" not in after
    view = edition_status(app, "markets-en", EDITION_DATE)
    assert view.state == "sent" and view.counts is not None
    assert (view.counts.recipients, view.counts.sent, view.counts.failed) == (4, 4, 0)
    assert [h.action for h in view.history][-2:] == ["reopen", "finish"]
    # the same list again sends nothing more
    again = send_only(app, "markets-en", EDITION_DATE, listed, actor="test")
    assert again.to_send == ()
    assert _outbox_count(app) == after


def test_only_refuses_an_edition_that_did_not_go_out(
    new_app: Callable[..., App], tmp_path: Path
) -> None:
    app = new_app(send_config(tmp_path))
    with pytest.raises(OnlyRefused, match="has no edition"):
        send_only(app, "markets-en", EDITION_DATE, ["a@example.com"], actor="test")
    store_edition(app, "markets-en", "approved", with_article=True)
    with pytest.raises(OnlyRefused, match="has not been sent yet"):
        send_only(app, "markets-en", EDITION_DATE, ["a@example.com"], actor="test")
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SendBatchRow)).scalar_one() == 0


def test_the_command_lists_what_it_did(tmp_path: Path) -> None:
    from tests.cli_helpers import digest, write_config
    from tests.conftest import FixedClock, make_app, make_config

    app = make_app(make_config(tmp_path), FixedClock(NOW))
    sent_edition(app, 2)
    _late_subscribers(app, "late@example.com")
    app.engine.dispose()
    config = write_config(tmp_path)
    listing = tmp_path / "list.txt"
    listing.write_text("# who asked\nlate@example.com\nnobody@example.com\n", encoding="utf-8")
    args = ("--config", str(config), "send", "markets-en", "--date", EDITION_DATE.isoformat())
    r = digest(*args, "--only-file", str(listing), "--only", "not-an-address", "--json",
               cwd=tmp_path)  # fmt: skip
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    assert data["to_send"] == ["late@example.com"] and data["outcome"] == {
        "late@example.com": "sent"
    }
    assert data["unknown_addresses"] == ["nobody@example.com"]
    assert data["invalid_addresses"] == ["not-an-address"]
    again = digest(*args, "--only", "late@example.com", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "not sent to late@example.com: already sent this edition" in again.stdout
    bad = digest(*args, "--only", "late@example.com", "--retry-unknown", cwd=tmp_path)
    assert bad.returncode == 2 and "--only does not go with --retry-unknown" in bad.stderr
