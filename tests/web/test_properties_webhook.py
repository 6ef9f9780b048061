"""Property: no signed webhook post, whatever JSON it holds, gives a traceback or a 5xx, and
what it stores is whole: one row per new event id, counters that add up."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from digest.app import App
from digest.store.schema import ProviderEventRow
from digest.web import create_app
from digest.web.errors import WebhookRejected
from digest.web.sendgrid_events import SendGridEvent, parse_events, read_event
from tests.conftest import FixedClock
from tests.web.webhook_helpers import Signer, counters, hook_app_for

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["\x00", "\ud800", "\u202e", "41", "99999999999999999999", "-1", "@"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(["processed", "delivered", "open", "click", "bounce", "dropped"])
        | scalars,
        "email": st.sampled_from(["ann@example.com", "bob@example.com", "x"]) | scalars,
        "edition_id": st.sampled_from(["41", 41]) | scalars,
        "sg_event_id": st.text(max_size=12) | scalars,
        "timestamp": st.integers() | scalars,
        "reason": scalars,
        "custom_args": json_values,
        "extra": json_values,
    },
)


@given(json_values)
def test_reading_any_json_value_gives_an_event_or_a_reason(value: Any) -> None:
    read = read_event(value)
    if isinstance(read, SendGridEvent):
        record = read.record
        assert record.edition_id is None or 0 < record.edition_id < 2**63
        assert record.email is None or "@" in record.email
        json.dumps(record.payload)  # storable as it is
    else:
        assert isinstance(read, str) and read


@given(st.binary(max_size=200))
def test_parsing_any_bytes_gives_events_or_a_400(body: bytes) -> None:
    try:
        parse_events(body)
    except WebhookRejected as exc:
        assert exc.status == 400


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[App, Signer, TestClient]]:
    signer = Signer()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(datetime(2026, 1, 30, 5, 0, tzinfo=UTC))
        app = hook_app_for(Path(tmp), f"sqlite:///{tmp}/digest.db", clock, signer)
        with TestClient(create_app(app)) as client:
            yield app, signer, client
        app.engine.dispose()


@given(st.lists(event_like | json_values, max_size=8))
def test_any_signed_post_is_answered_and_stored_whole(hook, events: list[Any]) -> None:
    app, signer, client = hook
    with app.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(ProviderEventRow)).scalar_one()
    counted_before = sum(counters(app))
    body = json.dumps(events).encode()
    r = client.post(
        "/webhooks/sendgrid",
        content=body,
        headers=signer.headers(body, int(app.clock().timestamp())),
    )
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["received"] == len(events)
    assert summary["applied"] + summary["duplicates"] + summary["ignored"] == len(events)
    with app.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(ProviderEventRow)).scalar_one()
    assert after - before == summary["applied"]
    assert sum(counters(app)) - counted_before <= summary["applied"]
