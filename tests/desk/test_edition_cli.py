"""`digest edition …` through the real console script gives the same edition as the desk."""

from __future__ import annotations

import email
import email.policy
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from digest.app import build
from digest.config import Secrets, load_config
from digest.desk_overview import default_edition_date
from digest.editorial import edition_view
from digest.staff import Role, add_user
from digest.store.articles import upsert_articles
from digest.store.db import upgrade
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from digest.web import create_app
from tests.cli_helpers import digest, write_config
from tests.conftest import TEST_SECRET
from tests.desk.conftest import EDITOR, PASSWORD, sign_in
from tests.desk.editorial_helpers import STORIES, titles, url_of
from tests.factories import NOW

SEGMENT = "markets-en"


def _project(root: Path):  # noqa: ANN202
    """A project folder with the stories published just before the real now, and a reader."""
    root.mkdir()
    config = write_config(root)
    app = build(load_config(config), Secrets(secret_key=TEST_SECRET))
    upgrade(app.engine)
    now = datetime.now(UTC)
    fresh = [
        replace(a, published_at=now - (NOW - a.published_at), first_seen_at=now) for a in STORIES
    ]
    with app.engine.begin() as conn:
        upsert_articles(conn, fresh, now)
        upsert_subscribers(
            conn,
            [SubscriberInput(email="ada@example.com", segments=(SEGMENT,))],
            now,
            source="test",
        )
    return app, config


def _web_steps(app, day) -> None:  # noqa: ANN001
    add_user(app, EDITOR, Role.EDITOR, PASSWORD, actor="test")
    page = f"/desk/editions/{SEGMENT}/{day}"
    ids = {p.item.article.url: p.item.article.id for p in edition_view(app, SEGMENT, day).placed}
    ids.update({s.article.url: s.article.id for s, _ in edition_view(app, SEGMENT, day).left_out})
    with TestClient(create_app(app), follow_redirects=False) as client:
        token = sign_in(client, EDITOR)

        def post(action: str, **fields: object) -> None:
            html = client.get(page).text
            version = re.search(r'name="version" value="(\d+)"', html).group(1)
            r = client.post(
                f"{page}/{action}", data={"csrf_token": token, "version": version, **fields}
            )
            assert r.status_code == 303, r.text

        post("pin", article=ids[url_of("Oil index falls as supply grows")], position=1)
        post("exclude", article=ids[url_of("DAX closes at a record")])
        post("subject", subject="Oil leads the markets")
        post("note", note="Good morning from the desk.")
        post("approve")


def test_the_same_steps_on_the_command_line_give_the_same_edition(tmp_path: Path) -> None:
    cli_app, config = _project(tmp_path / "cli")
    web_app, _ = _project(tmp_path / "web")
    day = default_edition_date(cli_app, SEGMENT).isoformat()
    folder = config.parent
    for args in (
        ("pin", SEGMENT, url_of("Oil index falls as supply grows"), "--position", "1"),
        ("exclude", SEGMENT, url_of("DAX closes at a record")),
        ("subject", SEGMENT, "Oil leads the markets"),
        ("note", SEGMENT, "Good morning from the desk."),
        ("approve", SEGMENT),
    ):
        r = digest("edition", *args, "--date", day, cwd=folder)
        assert r.returncode == 0, (args, r.stderr)
    shown = json.loads(
        digest("edition", "show", SEGMENT, "--date", day, "--json", cwd=folder).stdout
    )
    _web_steps(web_app, datetime.fromisoformat(day).date())
    desk = edition_view(web_app, SEGMENT, datetime.fromisoformat(day).date())
    assert [a["title"] for a in shown["articles"]] == titles(desk)
    assert shown["status"] == "approved" == str(desk.status)
    assert shown["subject"] == desk.edition.subject == "Oil leads the markets"
    assert shown["editor_note"] == desk.edition.editor_note
    assert shown["articles"][0]["pinned_at"] == 1
    assert shown["content_hash"] == shown["approved_hash"]
    # digest preview shows the same content as the desk
    preview = json.loads(
        digest("preview", SEGMENT, "--date", day, "--format", "json", cwd=folder).stdout
    )
    assert [a["title"] for a in preview["articles"]] == [a["title"] for a in shown["articles"]]
    assert preview["subject"] == "Oil leads the markets"
    # a test send arrives with [TEST]; then the real send goes out exactly as approved
    r = digest("edition", "test-send", SEGMENT, "--to", "me@skn.example", "--date", day, cwd=folder)
    assert r.returncode == 0, r.stderr
    r = digest("send", SEGMENT, "--date", day, "--yes", cwd=folder)
    assert r.returncode == 0, r.stderr
    messages = {
        str(m["To"]): m
        for m in (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in (folder / "outbox").rglob("*.eml")
        )
    }
    assert messages["me@skn.example"]["Subject"] == "[TEST] Oil leads the markets"
    real = messages["ada@example.com"]
    assert real["Subject"] == "Oil leads the markets"
    body = real.get_body(("html",)).get_content()
    assert "Good morning from the desk." in body and "DAX closes at a record" not in body
    # once sent, nothing can change
    r = digest("edition", "note", SEGMENT, "too late", "--date", day, cwd=folder)
    assert r.returncode == 4 and "is sent: it can no longer be changed" in r.stderr


def test_bad_input_on_the_command_line(tmp_path: Path) -> None:
    app, config = _project(tmp_path / "p")
    folder = config.parent
    cases = [
        (("pin", SEGMENT, "https://nowhere.example/x"), 2, "no stored article has the address"),
        (
            ("pin", SEGMENT, url_of("Nikkei index rallies"), "--position", "9"),
            2,
            "position 9 is beyond max_articles (8)",
        ),
        (("pin", "nope", url_of("Nikkei index rallies")), 2, "unknown segment 'nope'"),
        (("show", SEGMENT, "--date", "someday"), 2, "--date must be YYYY-MM-DD"),
        (("unpin", SEGMENT, url_of("Nikkei index rallies")), 2, "is not pinned"),
        (("test-send", SEGMENT, "--to", "x@skn.example,broken"), 2, "not an email address: broken"),
        (("unapprove", SEGMENT), 2, "has no edition yet"),
    ]
    for args, code, message in cases:
        r = digest("edition", *args, cwd=folder)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert not (folder / "outbox").exists() or not list((folder / "outbox").rglob("*.eml"))
    r = digest("audit", "--json", cwd=folder)
    assert json.loads(r.stdout) == []


def test_every_edition_command_speaks_json(tmp_path: Path) -> None:
    app, config = _project(tmp_path / "j")
    folder = config.parent
    day = default_edition_date(app, SEGMENT).isoformat()
    oil = url_of("Oil index falls as supply grows")

    def run(*args: str) -> dict:
        r = digest("edition", *args, "--date", day, "--json", cwd=folder)
        assert r.returncode == 0, (args, r.stderr)
        return json.loads(r.stdout)

    pinned = run("pin", SEGMENT, oil, "--position", "1")
    assert pinned["action"] == "pin" and pinned["edition"]["articles"][0]["url"] == oil
    assert run("move", SEGMENT, oil, "down")["edition"]["articles"][1]["url"] == oil
    assert run("exclude", SEGMENT, url_of("DAX closes at a record"))["action"] == "exclude"
    assert run("include", SEGMENT, url_of("DAX closes at a record"))["action"] == "include"
    assert run("unpin", SEGMENT, oil)["edition"]["articles"][0]["pinned_at"] is None
    assert run("subject", SEGMENT, "Hello")["edition"]["subject"] == "Hello"
    assert run("note", SEGMENT, "Hi")["edition"]["editor_note"] == "Hi"
    approved = run("approve", SEGMENT)
    assert approved["articles"] == 5 and len(approved["content_hash"]) == 64
    changed = run("note", SEGMENT, "Changed")
    assert changed["withdrawn_approval_of"] == approved["approved_by"].split(":", 1)[1]
    sent = run("test-send", SEGMENT, "--to", "me@skn.example")
    assert sent["recipients"] == ["me@skn.example"] and sent["subject"] == "[TEST] Hello"
    assert run("approve", SEGMENT)["articles"] == 5
    assert run("unapprove", SEGMENT)["edition"]["status"] == "draft"
