"""What goes out: an approved edition exactly as approved; a draft with the editors' choices;
the segment's approval policy when nobody approved."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.app import App
from digest.approval import ApprovalMissing, approve_edition
from digest.edits import exclude_from_edition, pin_article, set_note, set_subject
from digest.lifecycle import EditionState
from digest.sending import NotSendable
from digest.sending import send_edition as send_use_case
from digest.store.articles import upsert_articles
from digest.store.editions import edition_for
from digest.store.schema import DeliveryRow
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.conftest import FixedClock, config_dict, make_app
from tests.desk.editorial_helpers import DAY, SEGMENT, STORIES, seed, url_of
from tests.factories import NOW, article
from tests.web.fakes import RecordingTransport

ED = "web:editor@skn.example"
READERS = ("ada@example.com", "ben@example.com")


def _app(tmp_path: Path, clock: FixedClock, transport: RecordingTransport, **segment) -> App:  # noqa: ANN003
    from digest.config import parse_config

    raw = config_dict(tmp_path)
    raw["segments"][0].update(segment)
    app = make_app(parse_config(raw, "test"), clock, transport=transport)
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [SubscriberInput(email=e, segments=(SEGMENT,)) for e in READERS],
            NOW,
            source="test",
        )
    seed(app)
    return app


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def desk_app(tmp_path: Path, clock: FixedClock, transport: RecordingTransport) -> Iterator[App]:
    app = _app(tmp_path, clock, transport)
    yield app
    app.engine.dispose()


def send_edition(app: App, segment: str, day):  # noqa: ANN001, ANN202
    return send_use_case(app, segment, day, actor="test")


def _late_news(app: App, clock: FixedClock) -> None:
    """A new top story and a corrected title after the approval."""
    clock.now = NOW + timedelta(minutes=40)
    with app.engine.begin() as conn:
        upsert_articles(
            conn,
            [
                article(
                    "Gold index hits a high", categories=("Markets",), hours_ago=0.1, now=clock.now
                ),
                replace(STORIES[1], title="FTSE slips on bank stocks (corrected)"),
            ],
            clock.now,
        )


def test_an_approved_edition_goes_out_exactly_as_approved(
    desk_app: App, clock: FixedClock, transport: RecordingTransport
) -> None:
    pin_article(
        desk_app, SEGMENT, DAY, url_of("Oil index falls as supply grows"), position=1, actor=ED
    )
    exclude_from_edition(desk_app, SEGMENT, DAY, url_of("DAX closes at a record"), actor=ED)
    set_subject(desk_app, SEGMENT, DAY, "Oil leads", actor=ED)
    set_note(desk_app, SEGMENT, DAY, "A word from the desk.", actor=ED)
    approve_edition(desk_app, SEGMENT, DAY, actor=ED)
    _late_news(desk_app, clock)
    report = send_edition(desk_app, SEGMENT, DAY)
    assert report.sent == len(READERS)
    assert sorted(m.to for m in transport.sent) == list(READERS)
    mail = transport.sent[0]
    assert mail.subject == "Oil leads"
    assert "A word from the desk." in mail.html and "A word from the desk." in mail.text
    assert mail.html.index("Oil index falls as supply grows") < mail.html.index("FTSE slips")
    for absent in ("Gold index hits a high", "(corrected)", "DAX closes at a record"):
        assert absent not in mail.html and absent not in mail.text
    with desk_app.engine.connect() as conn:
        assert edition_for(conn, SEGMENT, DAY).status is EditionState.SENT


def test_an_unapproved_draft_goes_out_with_the_editors_choices_and_the_latest_news(
    desk_app: App, clock: FixedClock, transport: RecordingTransport
) -> None:
    exclude_from_edition(desk_app, SEGMENT, DAY, url_of("DAX closes at a record"), actor=ED)
    _late_news(desk_app, clock)
    send_edition(desk_app, SEGMENT, DAY)
    html = transport.sent[0].html
    assert "Gold index hits a high" in html and "(corrected)" in html
    assert "DAX closes at a record" not in html


def test_approval_required_and_missing_holds_nothing_back_but_sends_nothing(
    tmp_path: Path, clock: FixedClock, transport: RecordingTransport
) -> None:
    app = _app(tmp_path, clock, transport, approval="required", on_unapproved="hold")
    with pytest.raises(ApprovalMissing, match="needs an editor's approval before it is sent"):
        send_edition(app, SEGMENT, DAY)
    assert transport.sent == []
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeliveryRow)).scalar_one() == 0
    approve_edition(app, SEGMENT, DAY, actor=ED)
    assert send_edition(app, SEGMENT, DAY).sent == len(READERS)


def test_approval_required_with_on_unapproved_send_sends_the_automatic_selection(
    tmp_path: Path, clock: FixedClock, transport: RecordingTransport
) -> None:
    app = _app(tmp_path, clock, transport, approval="required", on_unapproved="send")
    exclude_from_edition(app, SEGMENT, DAY, url_of("DAX closes at a record"), actor=ED)
    set_subject(app, SEGMENT, DAY, "Not approved", actor=ED)
    send_edition(app, SEGMENT, DAY)
    mail = transport.sent[0]
    assert "DAX closes at a record" in mail.html  # the unapproved exclusion is not applied
    assert mail.subject != "Not approved"


def test_too_few_articles_at_send_time_skips_the_draft(
    tmp_path: Path, clock: FixedClock, transport: RecordingTransport
) -> None:
    app = _app(tmp_path, clock, transport, min_articles=6)
    set_note(app, SEGMENT, DAY, "early draft", actor=ED)  # stored as a draft with 5 articles
    with pytest.raises(NotSendable, match="min_articles=6"):
        send_edition(app, SEGMENT, DAY)
    assert transport.sent == []


def test_a_dry_run_shows_the_desks_content_and_the_approval_policy(
    tmp_path: Path, clock: FixedClock, transport: RecordingTransport
) -> None:
    from digest.sending import dry_run_edition

    app = _app(tmp_path, clock, transport, approval="required", on_unapproved="hold")
    set_subject(app, SEGMENT, DAY, "Edited subject", actor=ED)
    report = dry_run_edition(app, SEGMENT, DAY)
    assert not report.would_send
    assert report.reason == "approval is required and the edition is not approved"
    approve_edition(app, SEGMENT, DAY, actor=ED)
    report = dry_run_edition(app, SEGMENT, DAY)
    assert report.would_send and report.subjects == {"en": "Edited subject"}
    assert transport.sent == []
