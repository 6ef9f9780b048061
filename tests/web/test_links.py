"""The signed links: confirm (/c), unsubscribe (/u) and preferences (/p), incl. forged ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from digest.app import App
from digest.store.schema import ConsentRow, SuppressionRow
from digest.store.subscribers import subscriber_by_email
from digest.store.subscriptions import suppression_for
from tests.web.conftest import link_path, path_of, subscribe_and_confirm, subscribe_form
from tests.web.fakes import RecordingTransport


def _status(app: App, email: str) -> tuple[str, tuple[str, ...]]:
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, email)
    assert sub is not None
    return sub.status, sub.segments


def _sub_id(app: App, email: str) -> int:
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, email)
    assert sub is not None
    return sub.id


def _alter(token: str) -> str:
    """The token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


# ---- confirm ---------------------------------------------------------------------------


def test_confirm_get_changes_nothing_and_post_activates(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    client.post("/subscribe", data=subscribe_form("c@example.com", segments=["markets-en"]))
    confirm = link_path(transport.to("c@example.com")[0].text, "c")
    page = client.get(confirm)  # what a link scanner does
    assert page.status_code == 200
    assert "Confirm my subscription" in page.text and 'method="post"' in page.text
    assert _status(web_app, "c@example.com") == ("pending", ())
    done = client.post(confirm, headers={"User-Agent": "real-person"})
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert _status(web_app, "c@example.com") == ("active", ("markets-en",))
    with web_app.engine.connect() as conn:
        rows = conn.execute(select(ConsentRow).order_by(ConsentRow.id)).all()
    assert [r.action for r in rows] == ["subscribe", "confirm"]
    assert rows[1].user_agent == "real-person"
    assert rows[1].wording_version == web_app.config.web.consent_version
    assert rows[1].detail["request_id"] == rows[0].id
    again = client.post(confirm)
    assert "already confirmed" in again.text


def test_only_the_latest_confirmation_link_works(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    client.post("/subscribe", data=subscribe_form("two@example.com", segments=["markets-en"]))
    client.post("/subscribe", data=subscribe_form("two@example.com", segments=["tech-he"]))
    first, second = (link_path(m.text, "c") for m in transport.to("two@example.com"))
    assert "newer confirmation link" in client.post(first).text
    assert _status(web_app, "two@example.com")[0] == "pending"
    client.post(second)
    assert _status(web_app, "two@example.com") == ("active", ("tech-he",))


def test_old_confirmation_link_cannot_undo_a_later_unsubscribe(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "undo@example.com")
    confirm = link_path(transport.to("undo@example.com")[0].text, "c")
    sub_id = _sub_id(web_app, "undo@example.com")
    unsub = path_of(web_app.links.unsubscribe_url(sub_id, "markets-en"))
    client.post(unsub, data={"List-Unsubscribe": "One-Click"})
    client.post(confirm)
    assert _status(web_app, "undo@example.com")[0] == "unsubscribed"


def test_expired_confirmation_link_is_refused(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    with time_machine.travel(datetime(2026, 1, 30, 5, 0, tzinfo=UTC), tick=False):
        client.post("/subscribe", data=subscribe_form("late@example.com"))
    confirm = link_path(transport.to("late@example.com")[0].text, "c")
    with time_machine.travel(datetime(2026, 2, 7, 6, 0, tzinfo=UTC), tick=False):
        r = client.post(confirm)
    assert r.status_code == 400 and "The link has expired." in r.text
    assert 'action="/manage' in r.text  # a way to get a fresh link
    assert _status(web_app, "late@example.com")[0] == "pending"


@pytest.mark.parametrize("kind", ["c", "u", "p"])
def test_forged_and_altered_tokens_are_refused(
    client: TestClient, web_app: App, transport: RecordingTransport, kind: str
) -> None:
    subscribe_and_confirm(client, transport, "f@example.com")
    sub_id = _sub_id(web_app, "f@example.com")
    genuine = {
        "c": link_path(transport.to("f@example.com")[0].text, "c"),
        "u": path_of(web_app.links.unsubscribe_url(sub_id, "markets-en")),
        "p": path_of(web_app.links.preferences_url(sub_id)),
    }[kind]
    token = genuine.rsplit("/", 1)[1]
    for bad in (f"/{kind}/{_alter(token)}", f"/{kind}/forged.token.value", f"/{kind}/x"):
        assert client.get(bad).status_code == 400
        r = client.post(bad, data={"List-Unsubscribe": "One-Click", "action": "unsubscribe_all"})
        assert r.status_code == 400
        assert "This link does not work" in r.text
    assert _status(web_app, "f@example.com") == ("active", ("markets-en",))


def test_token_for_another_purpose_is_refused(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "p@example.com")
    sub_id = _sub_id(web_app, "p@example.com")
    prefs_token = web_app.links.preferences_url(sub_id).rsplit("/", 1)[1]
    r = client.post(f"/u/{prefs_token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 400
    assert _status(web_app, "p@example.com")[0] == "active"


# ---- unsubscribe -----------------------------------------------------------------------


def test_unsubscribe_get_is_harmless_and_offers_choices(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "g@example.com", segments=["markets-en", "tech-he"])
    url = path_of(web_app.links.unsubscribe_url(_sub_id(web_app, "g@example.com"), "markets-en"))
    for _ in range(3):  # a scanner may open it several times
        page = client.get(url)
        assert page.status_code == 200
    assert "Unsubscribe from Markets digest" in page.text
    assert "Unsubscribe from all digests" in page.text
    assert "/p/" in page.text  # the preferences are offered too
    assert _status(web_app, "g@example.com") == ("active", ("markets-en", "tech-he"))


def test_one_click_post_leaves_the_segment_at_once_without_redirect(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "o@example.com", segments=["markets-en", "tech-he"])
    url = path_of(web_app.links.unsubscribe_url(_sub_id(web_app, "o@example.com"), "markets-en"))
    r = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "location" not in r.headers
    assert _status(web_app, "o@example.com") == ("active", ("tech-he",))
    with web_app.engine.connect() as conn:
        last = conn.execute(select(ConsentRow).order_by(ConsentRow.id.desc())).first()
    assert last is not None and last.action == "unsubscribe" and last.source == "one-click"
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _status(web_app, "o@example.com") == ("active", ("tech-he",))


def test_leaving_the_last_segment_unsubscribes_and_suppresses(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "l@example.com")
    url = path_of(web_app.links.unsubscribe_url(_sub_id(web_app, "l@example.com"), "markets-en"))
    r = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "You are unsubscribed" in r.text
    assert _status(web_app, "l@example.com")[0] == "unsubscribed"
    with web_app.engine.connect() as conn:
        sup = suppression_for(conn, "l@example.com")
    assert sup is not None and sup.reason == "unsubscribe" and sup.source == "one-click"


def test_page_button_leaves_everything(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "all@example.com", segments=["markets-en", "tech-he"])
    url = path_of(web_app.links.unsubscribe_url(_sub_id(web_app, "all@example.com"), "tech-he"))
    r = client.post(url, data={"scope": "all"})
    assert r.status_code == 200
    assert "You will not receive any more digests" in r.text
    assert _status(web_app, "all@example.com")[0] == "unsubscribed"


def test_unsubscribe_page_speaks_the_subscribers_language(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "he@example.com", locale="he", segments=["tech-he"])
    url = path_of(web_app.links.unsubscribe_url(_sub_id(web_app, "he@example.com"), "tech-he"))
    page = client.get(url)
    assert 'lang="he" dir="rtl"' in page.text and "ביטול" in page.text


def test_expired_unsubscribe_link_is_refused(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "e@example.com")
    sub_id = _sub_id(web_app, "e@example.com")
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC), tick=False):
        old = path_of(web_app.links.unsubscribe_url(sub_id, "markets-en"))
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=400), tick=False):
        r = client.post(old, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 400 and "expired" in r.text
    assert _status(web_app, "e@example.com")[0] == "active"


# ---- preferences -----------------------------------------------------------------------


def test_preference_centre_saves_choices(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "pref@example.com")
    url = path_of(web_app.links.preferences_url(_sub_id(web_app, "pref@example.com")))
    page = client.get(url)
    assert page.status_code == 200 and "Preferences for pref@example.com" in page.text
    r = client.post(
        url,
        data={
            "action": "save",
            "segments": ["tech-he", "markets-en"],
            "topics": ["tech", "autos"],
            "locale": "he",
            "timezone": "Asia/Jerusalem",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"{url}?m=saved"
    with web_app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "pref@example.com")
    assert sub is not None
    assert sub.segments == ("markets-en", "tech-he")
    assert sub.topics == ("tech", "autos")
    assert (sub.locale, sub.timezone) == ("he", "Asia/Jerusalem")
    shown = client.get(r.headers["location"])
    assert 'dir="rtl"' in shown.text and "ההעדפות נשמרו" in shown.text


def test_preference_centre_rejects_bad_input(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "bad@example.com")
    url = path_of(web_app.links.preferences_url(_sub_id(web_app, "bad@example.com")))
    r = client.post(url, data={"segments": ["markets-en"], "locale": "en", "timezone": "Nowhere"})
    assert r.status_code == 422 and "Choose a time zone from the list" in r.text
    assert _status(web_app, "bad@example.com") == ("active", ("markets-en",))


def test_pause_and_resume(client: TestClient, web_app: App, transport: RecordingTransport) -> None:
    subscribe_and_confirm(client, transport, "pause@example.com")
    url = path_of(web_app.links.preferences_url(_sub_id(web_app, "pause@example.com")))
    assert client.post(url, data={"action": "pause", "weeks": "3"}).status_code == 303
    with web_app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "pause@example.com")
    assert sub is not None and sub.paused_until == web_app.clock() + timedelta(weeks=3)
    assert "paused until 20 February 2026" in client.get(url).text
    assert "מושהים עד 20 בפברואר 2026" in client.get(url + "?lang=he").text
    assert client.post(url, data={"action": "pause", "weeks": "99"}).status_code == 422
    assert client.post(url, data={"action": "resume"}).status_code == 303
    with web_app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "pause@example.com")
    assert sub is not None and sub.paused_until is None


def test_unsubscribe_all_and_resubscribe_from_preferences(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "back@example.com")
    url = path_of(web_app.links.preferences_url(_sub_id(web_app, "back@example.com")))
    client.post(url, data={"action": "unsubscribe_all"})
    assert _status(web_app, "back@example.com")[0] == "unsubscribed"
    page = client.get(url)
    assert "Subscribe again" in page.text
    r = client.post(
        url,
        data={"action": "resubscribe", "segments": ["tech-he"], "locale": "en", "timezone": "UTC"},
    )
    assert r.headers["location"].endswith("?m=resubscribed")
    assert _status(web_app, "back@example.com") == ("active", ("tech-he",))
    with web_app.engine.connect() as conn:
        assert conn.execute(select(SuppressionRow)).first() is None
        actions = [r.action for r in conn.execute(select(ConsentRow).order_by(ConsentRow.id))]
    assert actions[-1] == "resubscribe"


def test_bounced_address_cannot_resubscribe_itself(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    from digest.web.actions import suppress_address

    subscribe_and_confirm(client, transport, "b@example.com")
    url = path_of(web_app.links.preferences_url(_sub_id(web_app, "b@example.com")))
    suppress_address(web_app, "b@example.com", "bounce", "test")
    page = client.get(url)
    assert "Emails to this address are stopped" in page.text
    r = client.post(
        url,
        data={"action": "resubscribe", "segments": ["tech-he"], "locale": "en", "timezone": "UTC"},
    )
    assert r.headers["location"].endswith("?m=blocked")
    assert _status(web_app, "b@example.com")[0] == "bounced"


def test_manage_page_emails_a_fresh_link_without_revealing_membership(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "m@example.com")
    known = client.post("/manage", data={"email": "M@example.com"})
    unknown = client.post("/manage", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200 and known.text == unknown.text
    [mail] = [m for m in transport.to("m@example.com") if "manage" in m.batch_key]
    prefs = link_path(mail.text, "p")
    assert client.get(prefs).status_code == 200
    assert client.post("/manage", data={"email": "nope"}).status_code == 422


def test_unknown_pages_are_404_and_health_is_ok(client: TestClient) -> None:
    r = client.get("/does-not-exist")
    assert r.status_code == 404 and "Page not found" in r.text
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
