"""The desk's use cases on SQLite and PostgreSQL: a draft follows the news until approved,
editors' choices are kept, approval freezes, edits withdraw it, bad input changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from digest import lifecycle
from digest.app import App
from digest.approval import approve_edition, unapprove_edition
from digest.audit import AuditAction, audit_log
from digest.editorial import EditConflict, EditorialError, edition_view
from digest.edits import (
    exclude_from_edition,
    include_in_edition,
    move_article,
    pin_article,
    restore_selection,
    set_note,
    set_subject,
    unpin_article,
)
from digest.lifecycle import EditionState
from digest.store.articles import upsert_articles
from digest.store.editions import edition_for
from digest.store.schema import EditionItemRow
from tests.conftest import FixedClock
from tests.desk.editorial_helpers import DAY, SEGMENT, STORIES, seed, titles, url_of
from tests.factories import NOW, article

ED = "web:editor@skn.example"
OTHER = "web:other@skn.example"
AUTO = [
    "DAX closes at a record",
    "FTSE slips on bank stocks",
    "Nikkei index rallies",
    "Nvidia unveils a new AI chip",
    "Software makers rally on AI hopes",
]


def _view(app: App):  # noqa: ANN202
    return edition_view(app, SEGMENT, DAY)


def test_a_draft_is_the_ranking_and_nothing_is_stored_by_looking(any_app: App) -> None:
    seed(any_app)
    view = _view(any_app)
    assert titles(view) == AUTO and view.status is EditionState.DRAFT and view.state is None
    assert [(s.article.title, why) for s, why in view.left_out] == [
        ("Dow futures flat before jobs data", "more than 3 on markets"),
        ("Oil index falls as supply grows", "more than 3 on markets"),
    ]
    assert view.placed[0].scored.parts[0].topic == "markets"
    with any_app.engine.connect() as conn:
        assert edition_for(conn, SEGMENT, DAY) is None


def test_edits_are_kept_while_the_draft_follows_new_articles(
    any_app: App, clock: FixedClock
) -> None:
    seed(any_app)
    pin_article(
        any_app, SEGMENT, DAY, url_of("Oil index falls as supply grows"), position=1, actor=ED
    )
    exclude_from_edition(any_app, SEGMENT, DAY, url_of("DAX closes at a record"), actor=ED)
    move_article(any_app, SEGMENT, DAY, url_of("Nikkei index rallies"), -1, actor=ED)
    set_subject(any_app, SEGMENT, DAY, "  Oil leads the day  ", actor=ED)
    set_note(any_app, SEGMENT, DAY, "Good morning.\n\nShort one today.", actor=ED)
    view = _view(any_app)
    assert titles(view) == [
        "Oil index falls as supply grows",
        "Nikkei index rallies",
        "FTSE slips on bank stocks",
        "Dow futures flat before jobs data",
        "Nvidia unveils a new AI chip",
        "Software makers rally on AI hopes",
    ]
    assert view.edition.subject == "Oil leads the day" and not view.subject_automatic
    assert view.edition.editor_note == "Good morning.\n\nShort one today."
    assert view.version == 5
    # a new, better story arrives: the draft takes it in, the choices stay
    clock.now = NOW + timedelta(minutes=30)
    fresh = article("Gold index hits a high", categories=("Markets",), hours_ago=0.1, now=clock.now)
    with any_app.engine.begin() as conn:
        upsert_articles(conn, [fresh], clock.now)
    view = _view(any_app)
    assert titles(view)[:2] == ["Oil index falls as supply grows", "Nikkei index rallies"]
    assert "Gold index hits a high" in titles(view)
    assert "DAX closes at a record" not in titles(view)
    # and the stored items follow at the next edit
    include_in_edition(any_app, SEGMENT, DAY, url_of("DAX closes at a record"), actor=ED)
    with any_app.engine.connect() as conn:
        stored = edition_for(conn, SEGMENT, DAY)
    assert [i.article.title for i in stored.items] == titles(_view(any_app))
    assert "DAX closes at a record" in titles(_view(any_app))


def test_every_edit_is_audited_with_before_and_after(any_app: App) -> None:
    seed(any_app)
    pin_article(
        any_app,
        SEGMENT,
        DAY,
        url_of("Nikkei index rallies"),
        position=1,
        actor=ED,
        client="10.1.2.3",
    )
    unpin_article(any_app, SEGMENT, DAY, url_of("Nikkei index rallies"), actor=ED)
    set_subject(any_app, SEGMENT, DAY, "One", actor=ED)
    set_subject(any_app, SEGMENT, DAY, "", actor=ED)
    restore_error = None
    try:
        restore_selection(any_app, SEGMENT, DAY, actor=ED)
    except EditorialError as exc:
        restore_error = str(exc)
    assert restore_error == "nothing to restore: the selection is already automatic"
    entries = list(reversed(audit_log(any_app, segment=SEGMENT, edition_date=DAY)))
    assert [(e.action, e.actor) for e in entries] == [
        (AuditAction.PIN, ED),
        (AuditAction.UNPIN, ED),
        (AuditAction.SUBJECT, ED),
        (AuditAction.SUBJECT, ED),
    ]
    assert entries[0].target == url_of("Nikkei index rallies")
    assert entries[0].before == {"position": 3, "pinned": False}
    assert entries[0].after == {"position": 1, "pinned": True}
    assert entries[0].client == "10.1.2.3" and entries[0].edition_id is not None
    assert entries[2].after == {"subject": "One"} and entries[3].before == {"subject": "One"}
    assert entries[3].after == {"subject": None}
    assert _view(any_app).subject_automatic


def test_approval_freezes_the_content_even_when_articles_change(
    any_app: App, clock: FixedClock
) -> None:
    seed(any_app)
    exclude_from_edition(any_app, SEGMENT, DAY, url_of("FTSE slips on bank stocks"), actor=ED)
    before = _view(any_app)
    approval = approve_edition(any_app, SEGMENT, DAY, actor=ED, expected_hash=before.content_hash)
    assert approval.content_hash == before.content_hash
    clock.now = NOW + timedelta(minutes=20)
    changed = replace(STORIES[0], title="DAX closes at a record (updated)")
    extra = article("Gold index hits a high", categories=("Markets",), hours_ago=0.1, now=clock.now)
    with any_app.engine.begin() as conn:
        upsert_articles(conn, [changed, extra], clock.now)
    after = _view(any_app)
    assert after.status is EditionState.APPROVED and not after.follows_news
    assert titles(after) == titles(before)  # neither the new story nor the new title
    assert after.content_hash == before.content_hash
    with any_app.engine.connect() as conn:
        history = lifecycle.history(conn, after.edition.id)
    assert history[-1].action is lifecycle.Action.APPROVE and history[-1].by == ED


def test_an_edit_after_approval_withdraws_it_and_says_so(any_app: App) -> None:
    seed(any_app)
    approve_edition(any_app, SEGMENT, DAY, actor=ED)
    outcome = set_note(any_app, SEGMENT, DAY, "A late note", actor=OTHER)
    assert outcome.withdrawn_approval_of == "editor@skn.example"
    view = _view(any_app)
    assert view.status is EditionState.DRAFT and view.follows_news
    assert view.state.approved_hash is None
    actions = [e.action for e in audit_log(any_app, segment=SEGMENT)]
    assert actions[:3] == [AuditAction.UNAPPROVE, AuditAction.NOTE, AuditAction.APPROVE]
    with any_app.engine.connect() as conn:
        history = lifecycle.history(conn, view.edition.id)
    assert history[-1].action is lifecycle.Action.UNAPPROVE
    assert history[-1].reason == "note after approval"


def test_approving_what_changed_since_it_was_loaded_is_refused(
    any_app: App, clock: FixedClock
) -> None:
    seed(any_app)
    shown = _view(any_app).content_hash
    clock.now = NOW + timedelta(minutes=5)
    extra = article(
        "Gold index hits a high", categories=("Markets",), hours_ago=0.01, now=clock.now
    )
    with any_app.engine.begin() as conn:
        upsert_articles(conn, [extra], clock.now)
    with pytest.raises(EditorialError, match="changed since you loaded it"):
        approve_edition(any_app, SEGMENT, DAY, actor=ED, expected_hash=shown)
    assert _view(any_app).status is EditionState.DRAFT


def test_two_editors_at_once_the_second_is_told_who_and_when(
    any_app: App, clock: FixedClock
) -> None:
    seed(any_app)
    set_note(any_app, SEGMENT, DAY, "first", actor=ED)
    seen = _view(any_app).version
    clock.now = NOW + timedelta(minutes=3)
    set_subject(any_app, SEGMENT, DAY, "Mine", actor=ED, expected_version=seen)
    with pytest.raises(EditConflict) as conflict:
        set_note(any_app, SEGMENT, DAY, "theirs", actor=OTHER, expected_version=seen)
    assert str(conflict.value) == (
        "changed by editor@skn.example at 2026-01-30 05:03 UTC; reload the edition and try again"
    )
    assert _view(any_app).edition.editor_note == "first"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda app: pin_article(app, SEGMENT, DAY, "https://elsewhere.example/x", actor=ED),
            "no stored article has the address https://elsewhere.example/x",
        ),
        (
            lambda app: pin_article(app, SEGMENT, DAY, "not a url", actor=ED),
            "not a web address: not a url",
        ),
        (
            lambda app: pin_article(
                app, SEGMENT, DAY, url_of("Nikkei index rallies"), position=9, actor=ED
            ),
            "position 9 is beyond max_articles (8); choose 1 to 8",
        ),
        (
            lambda app: unpin_article(app, SEGMENT, DAY, url_of("Nikkei index rallies"), actor=ED),
            "“Nikkei index rallies” is not pinned",
        ),
        (
            lambda app: include_in_edition(
                app, SEGMENT, DAY, url_of("Nikkei index rallies"), actor=ED
            ),
            "“Nikkei index rallies” is not excluded",
        ),
        (
            lambda app: move_article(
                app, SEGMENT, DAY, url_of("DAX closes at a record"), -1, actor=ED
            ),
            "that article is already first",
        ),
        (
            lambda app: set_subject(app, SEGMENT, DAY, "two\nlines", actor=ED),
            "the subject must be one line of text",
        ),
        (
            lambda app: set_subject(app, SEGMENT, DAY, "x" * 201, actor=ED),
            "the subject is 201 characters long; at most 200",
        ),
        (
            lambda app: set_note(app, SEGMENT, DAY, "bell\x07", actor=ED),
            "the note contains control characters",
        ),
        (
            lambda app: pin_article(app, "nope", DAY, url_of("Nikkei index rallies"), actor=ED),
            "unknown segment 'nope'",
        ),
        (lambda app: unapprove_edition(app, SEGMENT, DAY, actor=ED), "has no edition yet"),
    ],
)
def test_bad_input_is_a_clear_message_and_changes_nothing(app: App, call, message) -> None:  # noqa: ANN001
    seed(app)
    before = _view(app)
    with pytest.raises(Exception) as raised:
        call(app)
    assert message in str(raised.value)
    after = _view(app)
    assert after.state is None  # not even an empty draft was stored
    assert titles(after) == titles(before) and after.version == before.version
    assert after.edition.subject == before.edition.subject
    assert audit_log(app) == []


def test_an_edition_that_is_sending_or_sent_cannot_be_changed(any_app: App) -> None:
    seed(any_app)
    approve_edition(any_app, SEGMENT, DAY, actor=ED)
    edition_id = _view(any_app).edition.id
    with any_app.engine.begin() as conn:
        lifecycle.start(conn, edition_id, actor="sender:test", now=any_app.clock())
    with pytest.raises(EditorialError, match="markets-en 2026-01-30 is sending: it can no longer"):
        exclude_from_edition(any_app, SEGMENT, DAY, url_of("DAX closes at a record"), actor=ED)
    with any_app.engine.begin() as conn:
        lifecycle.finish(conn, edition_id, actor="sender:test", now=any_app.clock())
    with pytest.raises(EditorialError, match="is sent: it can no longer be changed"):
        set_subject(any_app, SEGMENT, DAY, "Too late", actor=ED)
    with pytest.raises(lifecycle.TransitionRefused):
        unapprove_edition(any_app, SEGMENT, DAY, actor=ED)
    view = _view(any_app)
    assert view.status is EditionState.SENT and view.state.approved_hash is not None
    with any_app.engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(EditionItemRow)
            .where(EditionItemRow.edition_id == edition_id)
        ).scalar_one()
    assert count == len(AUTO)
