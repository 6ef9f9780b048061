"""The ops console in-process: roles, the Sends pages and their JSON, the controls with their
stale-page check, schedule, engagement, subscribers and sources."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from digest import lifecycle
from digest.app import App
from digest.sending import edition_status
from digest.staff import Role, add_user
from digest.store.schema import AuditRow, SendBatchRow, SuppressionRow
from digest.web import create_app
from tests.conftest import FixedClock
from tests.desk.conftest import EDITOR, OPS, PASSWORD, sign_in
from tests.ops.helpers import sent_edition
from tests.send.helpers import EDITION_DATE, NOW, add_subscribers, send_config, store_edition

DAY = EDITION_DATE.isoformat()
VERSION = re.compile(r'name="version" value="([^"]*)"')


@pytest.fixture
def console_app(new_app, tmp_path: Path, db_url: str) -> App:
    app = new_app(send_config(tmp_path, db_url), FixedClock(NOW))
    for email, role in ((EDITOR, Role.EDITOR), (OPS, Role.OPS)):
        add_user(app, email, role, PASSWORD, actor="test")
    return app


@pytest.fixture
def ops(console_app: App) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(console_app), follow_redirects=False) as client:
        yield client, sign_in(client, OPS)


def _version(html: str) -> str:
    match = VERSION.search(html)
    assert match, "no version field on the page"
    return match.group(1)


def _sends(api: object) -> object:
    return api.app.state.console_sends  # type: ignore[attr-defined]


def test_an_editor_cannot_reach_the_console_and_a_visitor_is_sent_to_sign_in(
    console_app: App,
) -> None:
    store_edition(console_app, "markets-en", "approved", with_article=True)
    with TestClient(create_app(console_app), follow_redirects=False) as client:
        assert client.get("/desk/ops/sends").headers["location"].startswith("/desk/login")
        token = sign_in(client, EDITOR)
        paths = ("/desk/ops/sends", "/desk/ops/schedule", "/desk/ops/subscribers",
                 f"/desk/ops/sends/markets-en/{DAY}/start", "/desk/ops/sends.json")  # fmt: skip
        for path in paths:
            assert client.get(path).status_code == 403, path
        r = client.post(
            f"/desk/ops/sends/markets-en/{DAY}/start",
            data={"csrf_token": token, "version": "approved:1"},
        )
        assert r.status_code == 403
    assert edition_status(console_app, "markets-en", EDITION_DATE).state == "approved"


def test_sends_page_and_its_json_show_the_ledger(ops: tuple[TestClient, str]) -> None:
    client, _ = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    edition = sent_edition(app, 7)
    status = edition_status(app, "markets-en", EDITION_DATE).as_dict()
    page = client.get("/desk/ops/sends")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert f'data-key="markets-en/{DAY}"' in page.text
    live = client.get("/desk/ops/sends.json").json()
    (item,) = [i for i in live["items"] if i["key"] == f"markets-en/{DAY}"]
    assert item["state"] == "sent" and item["version"].startswith("sent:")
    for field in ("recipients", "sent", "failed", "suppressed", "unknown", "pending"):
        assert item["values"][field] == f"{status[field]:,}"
    detail = client.get(f"/desk/ops/sends/markets-en/{DAY}")
    assert detail.status_code == 200 and "Markets this morning" in detail.text
    assert (
        client.get(f"/desk/ops/sends/markets-en/{DAY}/live.json").json()["items"][0]["values"][
            "sent"
        ]
        == "7"
    )
    assert edition.id is not None
    js = client.get("/desk/ops/console.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")


def test_start_confirms_then_sends_once_and_records_who(ops: tuple[TestClient, str]) -> None:
    client, token = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    add_subscribers(app, 5)
    store_edition(app, "markets-en", "approved", with_article=True)
    confirm = client.get(f"/desk/ops/sends/markets-en/{DAY}/start")
    assert confirm.status_code == 200
    assert "Markets this morning" in confirm.text and "outbox" in confirm.text
    assert "Send to 5 recipients now" in confirm.text
    r = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/start",
        data={"csrf_token": token, "version": _version(confirm.text)},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=start")
    _sends(client).join(30)
    view = edition_status(app, "markets-en", EDITION_DATE)
    assert view.state == "sent" and view.counts is not None and view.counts.sent == 5
    assert (view.history[0].action, view.history[0].by) == ("start", f"web:{OPS}")
    # the same confirmation posted again (a second click, another tab) does nothing
    again = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/start",
        data={"csrf_token": token, "version": _version(confirm.text)},
    )
    assert again.status_code == 409 and "so nothing was done" in again.text
    with app.engine.connect() as conn:
        actions = conn.execute(select(AuditRow.action, AuditRow.actor)).all()
    assert ("start-send", f"web:{OPS}") in [tuple(a) for a in actions]


def test_pause_resume_and_a_stale_page(ops: tuple[TestClient, str]) -> None:
    client, token = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    edition = sent_edition(app, 4)
    assert edition.id is not None
    with app.engine.begin() as conn:  # pretend it is still going: reopen with work left
        lifecycle.reopen(conn, edition.id, actor="test", now=NOW)
        conn.execute(
            update(SendBatchRow)
            .where(SendBatchRow.edition_id == edition.id)
            .values(status="pending")
        )
    page = client.get(f"/desk/ops/sends/markets-en/{DAY}")
    seen = _version(page.text)
    assert "Pause" in page.text
    # someone pauses from the command line meanwhile
    from digest.sending import pause_edition

    pause_edition(app, "markets-en", EDITION_DATE, actor="cli:ops")
    stale = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/pause", data={"csrf_token": token, "version": seen}
    )
    assert stale.status_code == 409
    assert "is now paused: it changed after this page was loaded" in stale.text
    assert "Last change: pause by cli:ops" in stale.text
    # pausing what is not running is refused with the reason
    fresh = _version(client.get(f"/desk/ops/sends/markets-en/{DAY}").text)
    refused = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/pause", data={"csrf_token": token, "version": fresh}
    )
    assert refused.status_code == 409
    assert "only a send in progress can be paused. Nothing was done." in refused.text
    resumed = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/resume", data={"csrf_token": token, "version": fresh}
    )
    assert resumed.status_code == 303
    _sends(client).join(30)
    view = edition_status(app, "markets-en", EDITION_DATE)
    assert view.state == "sent" and view.counts is not None and view.counts.sent == 4


def test_retry_unknown_explains_the_risk_first(ops: tuple[TestClient, str]) -> None:
    client, token = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    edition = sent_edition(app, 3)
    with app.engine.begin() as conn:
        conn.execute(
            update(SendBatchRow)
            .where(SendBatchRow.edition_id == edition.id)
            .values(status="unknown")
        )
    page = client.get(f"/desk/ops/sends/markets-en/{DAY}/retry-unknown")
    assert page.status_code == 200
    assert "second copy" in page.text and "3 recipients' outcome is unknown" in page.text
    r = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/retry-unknown",
        data={"csrf_token": token, "version": _version(page.text)},
    )
    assert r.status_code == 303
    _sends(client).join(30)
    view = edition_status(app, "markets-en", EDITION_DATE)
    assert view.counts is not None and (view.counts.unknown, view.counts.sent) == (0, 3)


def test_the_console_speaks_hebrew_right_to_left(ops: tuple[TestClient, str]) -> None:
    client, _ = ops
    page = client.get("/desk/ops/sends?lang=he")
    assert 'dir="rtl"' in page.text and "שליחות" in page.text
    assert "כל המהדורות של 30 הימים האחרונים" in page.text


def test_bad_input_is_a_clear_page(ops: tuple[TestClient, str]) -> None:
    client, token = ops
    assert client.get("/desk/ops/sends/no-such/2026-01-30").status_code == 404
    assert "not a date" in client.get("/desk/ops/sends/markets-en/yesterday").text
    r = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/explode", data={"csrf_token": token, "version": "x"}
    )
    assert r.status_code == 409 and "no such control" in r.text
    gone = client.post(
        f"/desk/ops/sends/markets-en/{DAY}/pause", data={"csrf_token": token, "version": "x"}
    )
    assert gone.status_code == 409 and "has no edition any more" in gone.text


def test_schedule_sources_and_engagement_pages(ops: tuple[TestClient, str]) -> None:
    client, _ = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    sent_edition(app, 3)
    schedule = client.get("/desk/ops/schedule")
    assert schedule.status_code == 200 and "0 7 * * *" in schedule.text
    assert "No scheduler has ticked yet" in schedule.text
    assert client.get("/desk/ops/sources").status_code == 200
    overview = client.get("/desk/ops/engagement?segment=markets-en")
    assert overview.status_code == 200
    svgs = re.findall(r"<svg.*?</svg>", overview.text, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    one = client.get(f"/desk/ops/engagement/markets-en/{DAY}")
    assert one.status_code == 200 and "<svg" in one.text


def test_subscribers_search_profile_suppress_lift_export(ops: tuple[TestClient, str]) -> None:
    client, token = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    sent_edition(app, 3)
    found = client.get("/desk/ops/subscribers?q=R000001")
    assert found.status_code == 200 and "markets-en-r000001@example.com" in found.text
    sid = re.search(r'href="/desk/ops/subscribers/(\d+)"', found.text).group(1)  # type: ignore[union-attr]
    profile = client.get(f"/desk/ops/subscribers/{sid}")
    assert "markets-en" in profile.text and "sent" in profile.text
    no_reason = client.post(
        "/desk/ops/suppressions",
        data={"csrf_token": token, "email": "markets-en-r000001@example.com", "why": " "},
    )
    assert no_reason.status_code == 422 and "say why" in no_reason.text
    done = client.post(
        "/desk/ops/suppressions",
        data={
            "csrf_token": token,
            "email": "Markets-EN-r000001@example.com",
            "reason": "manual",
            "why": "asked by phone",
            "back": f"/desk/ops/subscribers/{sid}",
        },
    )
    assert done.status_code == 303
    with app.engine.connect() as conn:
        row = conn.execute(select(SuppressionRow)).one()
    assert (row.email, row.reason, row.detail) == (
        "markets-en-r000001@example.com",
        "manual",
        "asked by phone",
    )
    lifted = client.post(
        "/desk/ops/suppressions/lift",
        data={"csrf_token": token, "email": row.email, "why": "asked again"},
    )
    assert lifted.status_code == 303
    with app.engine.connect() as conn:
        assert conn.execute(select(SuppressionRow)).first() is None
        audit = conn.execute(select(AuditRow.action, AuditRow.target)).all()
    assert ("suppress", row.email) in [tuple(a) for a in audit]
    assert ("lift-suppression", row.email) in [tuple(a) for a in audit]
    csv_text = client.get("/desk/ops/subscribers.csv").text
    assert csv_text.splitlines()[0] == "email,name,locale,timezone,topics,segments,status"
    assert len(csv_text.splitlines()) == 4
    with app.engine.connect() as conn:
        exports = conn.execute(select(AuditRow.target).where(AuditRow.action == "export")).all()
    assert [e[0] for e in exports] == ["subscribers.csv"]


def test_alerts_show_on_the_console_and_can_be_acknowledged(
    ops: tuple[TestClient, str],
) -> None:
    client, token = ops
    app = client.app.state.desk.app  # type: ignore[attr-defined]
    from digest.alerts import AlertKind, raise_alert

    with app.engine.begin() as conn:
        alert_id = raise_alert(
            conn,
            AlertKind.MISSED,
            segment="markets-en",
            edition_date=EDITION_DATE,
            message="the run due at 07:00 was missed",
            now=NOW,
        )
    page = client.get("/desk/ops/sends")
    assert "1 alert needs you" in page.text and "the run due at 07:00 was missed" in page.text
    r = client.post(
        f"/desk/ops/alerts/{alert_id}/acknowledge",
        data={"csrf_token": token, "back": "/desk/ops/sends"},
    )
    assert r.status_code == 303
    assert "alert needs you" not in client.get("/desk/ops/sends").text
    assert json.loads(client.get("/desk/ops/sends.json").text)["alerts"] == 0
    assert NOW - timedelta(days=1) < NOW  # the clock is fixed: alerts are within show_days
