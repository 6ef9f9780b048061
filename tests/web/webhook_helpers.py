"""SendGrid Event Webhook test helpers: a signer, an App with subscribers and edition 41."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from digest.app import App, build
from digest.config import Secrets
from digest.store.db import upgrade
from digest.store.schema import EditionRow
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.conftest import TEST_SECRET, FixedClock, make_config

SIG = "X-Twilio-Email-Event-Webhook-Signature"
TS = "X-Twilio-Email-Event-Webhook-Timestamp"


class Signer:
    """Signs webhook bodies the way SendGrid does: ECDSA P-256 over timestamp + payload."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_b64 = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        signature = self.private.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            SIG: base64.b64encode(signature).decode(),
            TS: str(timestamp),
            "Content-Type": "application/json",
        }


def hook_app_for(
    tmp_path: Path, db_url: str, clock: FixedClock, signer: Signer, **overrides: Any
) -> App:
    """A migrated App that trusts ``signer``, with three subscribers and edition 41."""
    app = build(
        make_config(tmp_path, db_url, **overrides),
        Secrets(secret_key=TEST_SECRET, sendgrid_webhook_public_key=signer.public_b64),
        clock=clock,
    )
    upgrade(app.engine)
    now = clock()
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [
                SubscriberInput(email="ann@example.com", segments=("markets-en",)),
                SubscriberInput(email="bob@example.com", segments=("markets-en",)),
                SubscriberInput(email="cat@example.com", segments=("markets-en",)),
            ],
            now,
        )
        insert_sent_edition(conn, now, 41)
    return app


def insert_sent_edition(conn: Any, now: Any, edition_id: int | None = None) -> int:
    """A sent markets-en edition with all its provider counters at zero; its id."""
    values = {} if edition_id is None else {"id": edition_id}
    return int(
        conn.execute(
            EditionRow.__table__.insert()
            .values(
                **values,
                segment="markets-en",
                edition_date=date(2026, 1, 30),
                status="sent",
                window_start=now - timedelta(days=1),
                cutoff_at=now,
                subject="s",
                created_at=now,
                processed_count=0,
                delivered_count=0,
                open_count=0,
                click_count=0,
                bounce_count=0,
            )
            .returning(EditionRow.id)
        ).scalar_one()
    )


def event(kind: str, email: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "timestamp": 1769749200,
        "event": kind,
        "sg_event_id": f"evt-{kind}-{n}",
        "sg_message_id": "msg.filter0001",
        "edition_id": "41",
        **extra,
    }


def post(client: TestClient, signer: Signer, app: App, events: Any, *, skew: int = 0) -> Any:
    body = json.dumps(events).encode()
    ts = int(app.clock().timestamp()) + skew
    return client.post("/webhooks/sendgrid", content=body, headers=signer.headers(body, ts))


def counters(app: App) -> tuple[int, int, int, int, int]:
    with app.engine.connect() as conn:
        row = conn.execute(select(EditionRow).where(EditionRow.id == 41)).one()
    return (
        row.processed_count,
        row.delivered_count,
        row.open_count,
        row.click_count,
        row.bounce_count,
    )
