"""The send path's shortcuts give exactly what the general code gives."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, update

from digest.render import list_unsubscribe
from digest.send.transports.sendgrid_client import OfficialClientPoster
from digest.send.transports.sendgrid_payload import BodyEncoder
from digest.store import ledger
from digest.store.schema import SubscriberRow, SubscriberSegmentRow, SuppressionRow
from digest.tokens import TokenSigner
from tests.fakes.sendgrid_server import SendGridStandIn
from tests.send.helpers import NOW, add_subscribers, send_config, store_edition

KEY = "speedups-test-key-" * 3


@pytest.mark.parametrize("segment", ["markets-en", None, "tech-he", "x_y-z"])
def test_fast_tokens_are_byte_for_byte_what_itsdangerous_signs(segment: str | None) -> None:
    signer = TokenSigner(KEY, 3600)
    for sid in (0, 7, 12_345_678_901):
        for purpose, code in (("manage", "m"), ("unsubscribe", "u"), ("confirm", "c")):
            token = signer.make(sid, purpose, segment)
            reference = signer._signer.sign(f"{sid}.{code}.{segment or ''}").decode("ascii")
            if token != reference:  # the second turned between the two: sign again
                token = signer.make(sid, purpose, segment)
            assert token == reference
            assert signer.load(token, purpose).subscriber_id == sid


def test_fast_tokens_follow_the_signers_clock() -> None:
    signer = TokenSigner(KEY, 3600)
    signer._signer.get_timestamp = lambda: 1_700_000_000  # type: ignore[method-assign]
    first = signer.make(5, "manage", "s")
    signer._signer.get_timestamp = lambda: 1_700_000_001  # type: ignore[method-assign]
    second = signer.make(5, "manage", "s")
    assert first.split(".")[3] != second.split(".")[3]
    assert second == signer._signer.sign("5.m.s").decode("ascii")


class _Mailto(BodyEncoder):
    def __init__(self, mailto: str | None) -> None:  # only the List-Unsubscribe part
        self._mailto = mailto


@pytest.mark.parametrize(
    "url",
    [
        "https://d.example/u/1.m.markets-en.awcq3g.qk7zRGSv2y9HZM-C3WYsvA_JHZ",
        "https://d.example/u/",
        "https://d.example",
        "http://h/x/y?z=/w",
        "https://h/a b/c d",
        "https://h/u/tok#frag",
        "https://h/u/t%41k",
        "https://h/u/Zo\u00eb.m.x",
        "//h/u/x",
        "https://h/u/a.m.seg-1_x~",
        "https://user@h:8443/base/u/a.m.s",
    ],
)
@pytest.mark.parametrize("mailto", [None, "unsubscribe@skn.example"])
def test_list_unsubscribe_shortcut_equals_the_reference(url: str, mailto: str | None) -> None:
    assert _Mailto(mailto)._list_unsubscribe(url) == list_unsubscribe(url, mailto)


def test_the_client_never_writes_the_body_into_its_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = b'{"personalizations":[{"to":[{"email":"secret-reader@example.com"}]}]}'
    with SendGridStandIn() as sg, caplog.at_level(logging.DEBUG, "python_http_client"):
        poster = OfficialClientPoster("SG.not-valid", sg.url, timeout=10)
        try:
            answer = poster.post_mail_send(body, {})
        finally:
            poster.close()
    assert answer.status == 401  # the stand-in refused the key: the request reached it
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "PAYLOAD" in logged and f"<{len(body)} bytes of JSON>" in logged
    assert "secret-reader" not in logged


def test_batch_rows_flag_exactly_who_may_still_be_sent(
    tmp_path: Path, db_url: str, new_app
) -> None:
    app = new_app(send_config(tmp_path, db_url))
    ids = add_subscribers(app, 7)
    edition = store_edition(app)
    assert edition.id is not None
    segment = app.config.segment("markets-en")
    with app.engine.begin() as conn:
        ledger.plan_deliveries(
            conn,
            edition.id,
            segment,
            NOW,
            batch_size=100,
            planner="test",
            not_before=lambda _tz: None,
            by_timezone=False,
        )
        conn.execute(
            update(SubscriberRow).where(SubscriberRow.id == ids[1]).values(status="unsubscribed")
        )
        conn.execute(
            update(SubscriberRow)
            .where(SubscriberRow.id == ids[2])
            .values(paused_until=NOW + timedelta(days=3))
        )
        conn.execute(
            update(SubscriberRow)
            .where(SubscriberRow.id == ids[3])
            .values(paused_until=NOW - timedelta(days=3))
        )  # the pause is over
        conn.execute(
            insert(SuppressionRow).values(
                email="reader000004@example.com", reason="bounce", source="test", created_at=NOW
            )
        )
        conn.execute(
            delete(SubscriberSegmentRow).where(SubscriberSegmentRow.subscriber_id == ids[5])
        )  # left the segment
        conn.execute(delete(SubscriberRow).where(SubscriberRow.id == ids[6]))
    with app.engine.connect() as conn:
        rows = ledger.BatchStatements(conn, segment, edition.id).rows(conn, 0, NOW)
    flags = {sid: (email is not None, bool(ok)) for sid, email, _n, _l, _t, ok in rows}
    assert flags == {
        ids[0]: (True, True),
        ids[1]: (True, False),
        ids[2]: (True, False),
        ids[3]: (True, True),
        ids[4]: (True, False),
        ids[5]: (True, False),
        ids[6]: (False, False),
    }
