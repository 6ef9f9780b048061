"""The draft page and its actions over HTTP: roles, CSRF, conflicts, errors, the frame."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from digest.app import App
from digest.audit import audit_log
from digest.editorial import edition_view
from digest.lifecycle import EditionState
from tests.desk.conftest import ADMIN, EDITOR, OPS, desk_client, sign_in
from tests.desk.editorial_helpers import DAY, SEGMENT, seed, titles

PAGE = f"/desk/editions/{SEGMENT}/{DAY}"


@pytest.fixture
def ids(staff_app: App) -> dict[str, int]:
    return seed(staff_app)


@pytest.fixture
def editor(staff_app: App, ids: dict[str, int]) -> Iterator[tuple[TestClient, str]]:
    with desk_client(staff_app) as c:
        yield c, sign_in(c, EDITOR)


def _version(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "no version field"
    return match.group(1)


def _post(client: TestClient, action: str, token: str, **fields: object):  # noqa: ANN202
    page = client.get(PAGE)
    data = {"csrf_token": token, "version": _version(page.text), **fields}
    return client.post(f"{PAGE}/{action}", data=data)


def test_the_draft_page_shows_the_email_the_stories_and_why_others_are_left_out(
    editor: tuple[TestClient, str],
) -> None:
    client, _ = editor
    r = client.get(PAGE)
    assert r.status_code == 200
    assert 'id="subject"' in r.text and "Markets digest: DAX closes at a record" in r.text
    assert re.search(r"\d+\.\d KB of the 90 KB budget", r.text)
    assert "passes" in r.text and "unsubscribe link and postal address" in r.text
    assert "score 0.944 = affinity 1.00 × decay 0.94" in r.text
    assert "more than 3 on markets" in r.text
    assert f'src="{PAGE}/frame?width=600&amp;locale=en&amp;format=html"' in r.text
    assert "frame-src 'self'" in r.headers["content-security-policy"]


def test_the_frame_is_the_email_in_each_variant(editor: tuple[TestClient, str]) -> None:
    client, _ = editor
    html = client.get(f"{PAGE}/frame?width=375&locale=he&format=html")
    assert html.status_code == 200 and 'lang="he"' in html.text and 'dir="rtl"' in html.text
    assert html.headers["x-frame-options"] == "SAMEORIGIN"
    assert "sandbox" in html.headers["content-security-policy"]
    assert "/desk/test-link" in html.text  # personal links are inert
    assert "prefers-color-scheme" in html.text
    dark = client.get(f"{PAGE}/frame?format=html&dark=1")
    assert "prefers-color-scheme:dark" not in dark.text.replace(" ", "")
    text = client.get(f"{PAGE}/frame?format=text")
    assert "<pre" in text.text and "DAX closes at a record" in text.text


def test_each_action_rerenders_the_page_at_once(
    editor: tuple[TestClient, str], staff_app: App, ids: dict[str, int]
) -> None:
    client, token = editor
    r = _post(client, "pin", token, article=ids["Oil index falls as supply grows"], position=1)
    assert r.status_code == 303 and "done=pin" in r.headers["location"]
    page = client.get(r.headers["location"])
    assert "Pinned." in page.text and "pinned at 1" in page.text
    assert _post(client, "exclude", token, article=ids["DAX closes at a record"]).status_code == 303
    assert _post(client, "down", token, article=ids["FTSE slips on bank stocks"]).status_code == 303
    assert _post(client, "subject", token, subject="Oil first").status_code == 303
    assert _post(client, "note", token, note="Morning, all.").status_code == 303
    view = edition_view(staff_app, SEGMENT, DAY)
    assert titles(view)[:3] == [
        "Oil index falls as supply grows",
        "Nikkei index rallies",
        "FTSE slips on bank stocks",
    ]
    assert view.edition.subject == "Oil first" and view.edition.editor_note == "Morning, all."
    page = client.get(PAGE)
    r = client.post(
        f"{PAGE}/approve",
        data={
            "csrf_token": token,
            "version": _version(page.text),
            "content": re.search(r'name="content" value="([0-9a-f]+)"', page.text).group(1),
        },
    )
    assert r.status_code == 303
    assert "Approved: this exact content will be sent." in client.get(r.headers["location"]).text
    r = _post(client, "note", token, note="A change")
    assert "withdrawn=editor%40skn.example" in r.headers["location"]
    assert "was withdrawn because the edition changed" in client.get(r.headers["location"]).text
    assert edition_view(staff_app, SEGMENT, DAY).status is EditionState.DRAFT
    assert _post(client, "restore", token).status_code == 303
    assert titles(edition_view(staff_app, SEGMENT, DAY))[0] == "DAX closes at a record"
    whats = [e.action for e in audit_log(staff_app, segment=SEGMENT)]
    assert whats.count("approve") == 1 and "restore" in whats and "unapprove" in whats


def test_a_stale_version_is_a_conflict_naming_who_changed_it(
    editor: tuple[TestClient, str], staff_app: App, ids: dict[str, int]
) -> None:
    client, token = editor
    stale = _version(client.get(PAGE).text)
    with desk_client(staff_app) as other:
        other_token = sign_in(other, ADMIN)
        assert _post(other, "note", other_token, note="Admin was here").status_code == 303
    r = client.post(f"{PAGE}/note", data={"csrf_token": token, "version": stale, "note": "Mine"})
    assert r.status_code == 409
    assert "changed by admin@skn.example at" in r.text and "reload" in r.text
    assert "Mine</textarea>" in r.text  # what was typed is kept
    assert edition_view(staff_app, SEGMENT, DAY).edition.editor_note == "Admin was here"


def test_bad_input_answers_with_the_page_and_the_reason(
    editor: tuple[TestClient, str], ids: dict[str, int], staff_app: App
) -> None:
    client, token = editor
    r = _post(client, "pin", token, article=ids["Nikkei index rallies"], position=12)
    assert r.status_code == 422 and "position 12 is beyond max_articles (8)" in r.text
    r = _post(client, "test-send", token, to="bad-address")
    assert r.status_code == 422 and "not an email address: bad-address; nothing was sent" in r.text
    r = _post(client, "pin", token, article=999999)
    assert r.status_code == 422 and "there is no article 999999" in r.text
    assert client.get("/desk/editions/nope/2026-01-30").status_code == 404
    assert client.get("/desk/editions/markets-en/yesterday").status_code == 404
    assert client.post(f"{PAGE}/launch", data={"csrf_token": token}).status_code == 404
    assert audit_log(staff_app, segment=SEGMENT) == []


def test_errors_are_in_hebrew_on_a_hebrew_desk(
    editor: tuple[TestClient, str], ids: dict[str, int]
) -> None:
    client, token = editor
    client.get(f"{PAGE}?lang=he")
    r = _post(client, "pin", token, article=ids["Nikkei index rallies"], position=12)
    assert 'dir="rtl"' in r.text
    assert "המקום 12 הוא מעבר ל-max_articles (8)" in r.text


def test_ops_may_look_but_not_approve_or_edit(staff_app: App, ids: dict[str, int]) -> None:
    with desk_client(staff_app) as client:
        token = sign_in(client, OPS)
        page = client.get(PAGE)
        assert page.status_code == 200 and 'action="' + PAGE + '/approve"' not in page.text
        for action, fields in (
            ("approve", {}),
            ("exclude", {"article": ids["DAX closes at a record"]}),
            ("test-send", {"to": "a@skn.example"}),
        ):
            r = client.post(
                f"{PAGE}/{action}", data={"csrf_token": token, "version": "0", **fields}
            )
            assert r.status_code == 403, action
    view = edition_view(staff_app, SEGMENT, DAY)
    assert view.state is None and audit_log(staff_app, segment=SEGMENT) == []


def test_a_forged_or_missing_csrf_token_changes_nothing(
    editor: tuple[TestClient, str], staff_app: App, ids: dict[str, int]
) -> None:
    client, _ = editor
    for data in ({}, {"csrf_token": "forged"}):
        for action in ("approve", "exclude", "note"):
            r = client.post(
                f"{PAGE}/{action}",
                data={
                    "version": "0",
                    "article": ids["DAX closes at a record"],
                    "note": "x",
                    **data,
                },
            )
            assert r.status_code == 403
            assert "nothing was changed" in r.text
    assert edition_view(staff_app, SEGMENT, DAY).state is None
    assert audit_log(staff_app, segment=SEGMENT) == []


def test_the_home_lists_next_editions_and_the_audit_log_is_for_admins(
    staff_app: App, ids: dict[str, int]
) -> None:
    with desk_client(staff_app) as client:
        sign_in(client, EDITOR)
        home = client.get("/desk/?tz=Asia/Jerusalem")
        assert home.status_code == 200
        assert f'href="{PAGE}"' in home.text
        assert "30 Jan, 7:00" in home.text and "in your time zone" in home.text
        assert "digest_desk_tz=" in home.headers["set-cookie"]
        assert "Asia/Jerusalem" in client.get(PAGE).text  # the choice is remembered
        assert client.get("/desk/audit").status_code == 403
    with desk_client(staff_app) as client:
        sign_in(client, ADMIN)
        audit = client.get("/desk/audit")
        assert audit.status_code == 200 and "signed in" in audit.text


def test_the_inert_link_page_needs_no_sign_in(staff_app: App) -> None:
    with desk_client(staff_app) as client:
        r = client.get("/desk/test-link")
        assert r.status_code == 200 and "it does nothing" in r.text
