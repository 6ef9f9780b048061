"""Property: no CSV, however broken, gives a traceback or leaves a half-written subscriber.

Every file either stops as a whole (CsvError, nothing written) or is imported: each valid
row is a subscriber with exactly its segments and one import consent, nothing stored holds
a control or bidi-override character, and every row is counted exactly once.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from digest.app import App
from digest.store.schema import ConsentRow, SubscriberRow, SubscriberSegmentRow
from digest.subscriber_admin import import_subscribers
from digest.subscriber_csv import COLUMNS, CsvError, CsvRow, RowError, parse_rows
from digest.text_safety import unsafe_character
from tests.conftest import make_app, make_config

# cells that are sometimes valid and often not: real values, odd text, formulas, controls
cell = st.one_of(
    st.sampled_from(
        [
            "a@example.com",
            "B@Example.com",
            "c+tag@example.co.uk",
            "en",
            "he",
            "UTC",
            "Asia/Jerusalem",
            "markets",
            "tech;autos",
            "markets-en",
            "tech-he;markets-en",
            "=HYPERLINK(1)",
            "'+cmd",
            "",
        ]
    ),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
)
row = st.lists(cell, min_size=0, max_size=8)
header = st.one_of(
    st.just(list(COLUMNS)),
    st.permutations(list(COLUMNS)),
    st.lists(st.sampled_from([*COLUMNS, "status", "shoe"]), min_size=0, max_size=7),
)


def _csv(head: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    with tempfile.TemporaryDirectory() as tmp:
        application = make_app(make_config(Path(tmp)))
        yield application
        application.engine.dispose()


@pytest.fixture(scope="module")
def csv_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp) / "subscribers.csv"


def _empty(app: App) -> None:
    with app.engine.begin() as conn:
        for table in (ConsentRow, SubscriberSegmentRow, SubscriberRow):
            conn.execute(delete(table))


@given(head=header, rows=st.lists(row, max_size=12))
def test_parsing_any_table_yields_rows_or_reasons(app: App, head: list[str], rows) -> None:
    text = _csv(head, rows)
    try:
        items = list(parse_rows(io.StringIO(text), app.config))
    except CsvError:
        return
    for item in items:
        assert isinstance(item, CsvRow | RowError)
        if isinstance(item, CsvRow):
            sub = item.subscriber
            assert not any(unsafe_character(v) for v in (sub.email, sub.name, sub.timezone))


@given(text=st.text(max_size=300))
def test_parsing_any_text_never_raises_anything_else(app: App, text: str) -> None:
    try:
        list(parse_rows(io.StringIO(text), app.config))
    except CsvError:
        pass


@given(head=header, rows=st.lists(row, max_size=10))
def test_an_import_is_whole_or_nothing(app: App, csv_file: Path, head: list[str], rows) -> None:
    _empty(app)
    problems: list[RowError] = []
    text = _csv(head, rows)
    csv_file.write_text(text, encoding="utf-8")
    try:
        report = import_subscribers(app, csv_file, on_error=problems.append)
    except CsvError:
        with app.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(SubscriberRow)).scalar() == 0
        return
    with app.engine.connect() as conn:
        subscribers = conn.execute(select(SubscriberRow)).all()
        consents = conn.execute(select(func.count()).select_from(ConsentRow)).scalar()
        segments = {
            (r.subscriber_id, r.segment) for r in conn.execute(select(SubscriberSegmentRow))
        }
    assert report.inserted == len(subscribers) == consents
    assert report.updated == report.unchanged == 0
    assert report.skipped == len(problems)
    wanted = {
        r.subscriber.email: set(r.subscriber.segments)
        for r in reversed(list(parse_rows(io.StringIO(text), app.config)))
        if isinstance(r, CsvRow)
    }
    assert {s.email for s in subscribers} == set(wanted)
    for sub in subscribers:
        assert {seg for sid, seg in segments if sid == sub.id} == wanted[sub.email]
        assert not unsafe_character(sub.name) and not unsafe_character(sub.email)
