"""The fast send path: serialised bodies equal the reference form, helper processes, Message-IDs."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from digest.config import Secrets
from digest.send.run import send_edition
from digest.send.transports.base import OutgoingMessage, Sender, SendRow
from digest.send.transports.sendgrid import SendGridTransport
from digest.send.transports.sendgrid_payload import mail_body
from digest.store.schema import SendBatchRow
from tests.fakes.sendgrid_server import SendGridStandIn, limit_problems, mail_send_validator
from tests.send.cli_support import run_cli, status_json, write_config
from tests.send.helpers import (
    EDITION_DATE,
    NOW,
    add_subscribers,
    send_config,
    store_edition,
    variant_for,
)


def _rows() -> list[SendRow]:
    later = NOW + timedelta(hours=3)
    return [
        SendRow(
            1,
            "plain@example.com",
            "Dana Levi",
            "https://d.example/u/1.m.s.a.b",
            "https://d.example/p/1.m.s.a.b",
            None,
            "en",
            "UTC",
        ),
        SendRow(
            2,
            "o'hara&co@example.com",
            '  <b>"Quoted"</b>\t name ',
            "https://d.example/u/2.m.s.a.b",
            "https://d.example/p/2.m.s.a.b",
            later,
            "he",
            "Asia/Jerusalem",
        ),
        SendRow(
            3,
            "nameless@example.com",
            "   ",
            "http://localhost/u/3.m.s.a.b",
            "http://localhost/p/3.m.s.a.b",
            NOW - timedelta(hours=1),
            "en",
            "UTC",
        ),
        SendRow(
            4,
            "uni@example.com",
            "Zoë \u05e9\u05dc\u05d5\u05dd \U0001f600 \\ /",
            "https://d.example/u/4.m.s.a.b",
            "https://d.example/p/4.m.s.a.b",
            None,
            "en",
            "UTC",
        ),
    ]


def test_fast_body_equals_the_reference_form_and_the_schema(tmp_path: Path) -> None:
    config = send_config(tmp_path, kind="sendgrid", sendgrid={"host": "http://127.0.0.1:9"})
    for mailto in (None, "unsubscribe@skn.example"):
        message = OutgoingMessage(
            rendered=variant_for(config)("en"),
            sender=Sender("digest@skn.example", "SKN Digest", "editors@skn.example"),
            categories=("digest", "markets-en", "edition-7"),
            custom_args={"edition_id": "7", "batch": "7-0", "segment": "markets-en"},
            list_id="SKN Markets <markets-en.skn.example>",
            unsubscribe_mailto=mailto,
        )
        transport = SendGridTransport("SG.key", config.transport.sendgrid, clock=lambda: NOW)
        body = transport.encode(message, _rows())
        reference = mail_body(message, [r.as_batch_recipient() for r in _rows()], now=NOW)
        decoded = json.loads(body)
        assert decoded == reference
        assert decoded["personalizations"][1]["send_at"] == int(
            (NOW + timedelta(hours=3)).timestamp()
        )
        assert "send_at" not in decoded["personalizations"][2]  # already due
        subs = decoded["personalizations"][1]["substitutions"]
        assert subs["%%digest-html:name%%"] == "&lt;b&gt;&quot;Quoted&quot;&lt;/b&gt; name"
        assert subs["%%digest-text:name%%"] == '<b>"Quoted"</b> name'
        assert list(mail_send_validator().iter_errors(decoded)) == []
        assert limit_problems(decoded, len(body)) == []


def test_duplicate_address_in_one_request_is_refused_before_sending(tmp_path: Path) -> None:
    config = send_config(tmp_path, kind="sendgrid", sendgrid={"host": "http://127.0.0.1:9"})
    message = OutgoingMessage(
        rendered=variant_for(config)("en"), sender=Sender("a@b.example", "", None)
    )
    rows = _rows()[:1] + [_rows()[0]._replace(subscriber_id=9, email="PLAIN@example.com")]
    transport = SendGridTransport("SG.key", config.transport.sendgrid)
    try:
        transport.send_rows(message, rows, "1-0")
    except Exception as exc:  # noqa: BLE001 - checked below
        assert "appears twice" in str(exc) and getattr(exc, "splittable", False)
    else:
        raise AssertionError("a request naming one address twice was sent")


def test_helper_processes_share_the_ledger_and_send_everyone_once(
    tmp_path: Path, db_url: str, new_app
) -> None:
    with SendGridStandIn(delay_seconds=0.15) as sg:
        config = write_config(
            tmp_path,
            db_url,
            kind="sendgrid",
            concurrency=1,
            sendgrid={"host": sg.url, "batch_size": 10, "timeout_seconds": 30},
        )
        from digest.config import load_config

        app = new_app(load_config(config))
        add_subscribers(app, 400)
        store_edition(app, with_article=True)
        day = EDITION_DATE.isoformat()
        done = run_cli(config, "send", "markets-en", "--date", day, "--yes", "--workers", "2")
        assert done.returncode == 0, done.stderr
        assert "sent 400" in done.stdout
        counts = sg.delivered_counts()
        assert len(counts) == 400 and set(counts.values()) == {1}
        assert sg.state.invalid == []
        final = status_json(config, "markets-en", day)
        assert (final["sent"], final["pending"], final["status"]) == (400, 0, "sent")
        with app.engine.connect() as conn:
            holders = set(conn.execute(select(SendBatchRow.claimed_by)).scalars())
        pids = {h.split(":")[1] for h in holders if h}
        assert len(pids) == 2  # the main process and one helper both claimed batches


def _message_ids(root: Path) -> dict[str, str]:
    out = {}
    for path in root.rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes())
        out[str(msg["To"])] = str(msg["Message-ID"])
    return out


def test_message_ids_are_unique_per_installation_and_stable(tmp_path: Path, new_app) -> None:
    ids: list[dict[str, str]] = []
    for n, key in enumerate(("first-installation-key-" * 3, "second-installation-key-" * 3)):
        root = tmp_path / f"site{n}"
        root.mkdir()
        config = send_config(root, kind="outbox", outbox={"path": str(root / "outbox")})
        app = new_app(config, secrets=Secrets(secret_key=key))
        add_subscribers(app, 3)
        edition = store_edition(app)
        send_edition(app, edition, variant_for(app.config))
        found = _message_ids(root / "outbox")
        tag = app.installation_tag
        assert len(found) == 3 and len(set(found.values())) == 3
        for value in found.values():
            assert value.startswith(f"<digest.markets-en.20260130.{tag}.")
        ids.append(found)
    # same subscriber ids, same edition, two databases: never the same Message-ID
    assert not set(ids[0].values()) & set(ids[1].values())
