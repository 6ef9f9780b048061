"""Test sends through the real outbox transport: "[TEST]", inert links, never in the ledger,
never to a suppressed address, limited per hour, audited."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.app import App
from digest.audit import AuditAction, audit_log
from digest.editorial import EditorialError
from digest.edits import set_subject
from digest.proofs import send_proof
from digest.store.schema import DeliveryRow, SendBatchRow
from digest.store.subscriptions import add_suppression
from tests.conftest import FixedClock, make_app, make_config
from tests.desk.editorial_helpers import DAY, SEGMENT, seed
from tests.factories import NOW

ED = "web:editor@skn.example"


@pytest.fixture
def outbox_app(tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """An App sending through the configured outbox (no test transport)."""
    app = make_app(make_config(tmp_path, desk={"test_sends_per_hour": 3}), clock)
    seed(app)
    yield app
    app.engine.dispose()


def _outbox(app: App) -> list[EmailMessage]:
    root = Path(app.config.transport.outbox.path)
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(root.rglob("*.eml"))
    ]


def test_a_test_arrives_marked_with_inert_links_and_stays_out_of_the_ledger(
    outbox_app: App,
) -> None:
    set_subject(outbox_app, SEGMENT, DAY, "Markets at the open", actor=ED)
    report = send_proof(
        outbox_app,
        SEGMENT,
        DAY,
        ["Colleague@SKN.example, boss@skn.example"],
        actor=ED,
        own_address="editor@skn.example",
    )
    assert report.recipients == (
        "editor@skn.example",
        "colleague@skn.example",
        "boss@skn.example",
    )
    messages = _outbox(outbox_app)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(report.recipients)
    for message in messages:
        assert message["Subject"] == "[TEST] Markets at the open"
        assert "https://digest.skn.example/desk/test-link" in message["List-Unsubscribe"]
        body = message.get_body(("html",)).get_content()
        assert "https://digest.skn.example/desk/test-link" in body
        assert "/u/" not in body and "/p/" not in body  # no real personal link
    with outbox_app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeliveryRow)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(SendBatchRow)).scalar_one() == 0
    entry = audit_log(outbox_app)[0]
    assert entry.action == AuditAction.TEST_SEND and entry.actor == ED
    assert entry.after["to"] == list(report.recipients)
    assert entry.after["subject"] == "[TEST] Markets at the open"


def test_a_test_goes_out_in_the_language_asked_for(outbox_app: App) -> None:
    report = send_proof(outbox_app, SEGMENT, DAY, ["a@skn.example"], actor=ED, locale="he")
    (message,) = _outbox(outbox_app)
    assert report.locale == "he" and message["Subject"].startswith("[TEST] ")
    assert message["Content-Language"] == "he"
    body = message.get_body(("html",)).get_content()
    assert 'lang="he"' in body and 'dir="rtl"' in body


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        (["fine@skn.example, not-an-address"], "not an email address: not-an-address"),
        (
            [",".join(f"p{i}@skn.example" for i in range(11))],
            "at most 10 listed addresses (11 given)",
        ),
        ([""], "name at least one address"),
        (["gone@skn.example"], "gone@skn.example is on the suppression list (bounce)"),
    ],
)
def test_a_bad_or_suppressed_address_sends_nothing_at_all(
    outbox_app: App, addresses: list[str], message: str
) -> None:
    with outbox_app.engine.begin() as conn:
        add_suppression(conn, "gone@skn.example", "bounce", "test", NOW)
    with pytest.raises(EditorialError) as refused:
        send_proof(outbox_app, SEGMENT, DAY, addresses, actor=ED)
    assert message in str(refused.value)
    assert _outbox(outbox_app) == []
    assert audit_log(outbox_app) == []


def test_test_sends_are_limited_per_hour_and_member(outbox_app: App, clock: FixedClock) -> None:
    for _ in range(3):
        send_proof(outbox_app, SEGMENT, DAY, ["a@skn.example"], actor=ED)
    with pytest.raises(EditorialError, match=r"at most 3 test sends an hour; try again in 60 min"):
        send_proof(outbox_app, SEGMENT, DAY, ["a@skn.example"], actor=ED)
    send_proof(outbox_app, SEGMENT, DAY, ["a@skn.example"], actor="web:other@skn.example")
    clock.now = NOW + timedelta(hours=1, seconds=1)
    send_proof(outbox_app, SEGMENT, DAY, ["a@skn.example"], actor=ED)
    assert len(_outbox(outbox_app)) == 5
