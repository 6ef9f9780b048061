"""In headless Chromium: the "notify me" button registers the service worker and posts the
subscription; a push delivered to the worker shows the notification; a click opens the
edition page.

No real push service is reachable here, so ``PushManager.subscribe`` is stubbed to return
the stand-in's subscription (the test plays the browser's push service). The notification
is delivered to the worker through the DevTools protocol with the plaintext the stand-in
decrypted from the sender's real push.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy import select

from digest.app import App
from digest.channel_run import KeepGoing
from digest.config import parse_config
from digest.push.sender import WebPushSender
from digest.store.schema import PushSubscriptionRow
from digest.web import create_app
from tests.fakes.push_service import PushServiceStandIn
from tests.push.helpers import push_app, push_config_dict, store_edition

STUB_PUSH_MANAGER = """
(() => {
  const fake = %s;
  const subscription = {
    endpoint: fake.endpoint,
    expirationTime: null,
    options: {userVisibleOnly: true, applicationServerKey: null},
    toJSON() { return {endpoint: fake.endpoint, expirationTime: null, keys: fake.keys}; },
    unsubscribe: async () => true,
    getKey: () => null,
  };
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    window.__pushOptions = options;
    current = subscription;
    return subscription;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""

NOTIFICATIONS_JS = """
async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({title: n.title, body: n.body, lang: n.lang, dir: n.dir,
                            tag: n.tag, data: n.data, actions: n.actions.map((a) => a.title)}));
}
"""

CLICK_JS = """
async () => {
  const [notification] = await self.registration.getNotifications();
  const event = new NotificationEvent('notificationclick', {notification, action: ''});
  self.dispatchEvent(event);
  return notification.data.url;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """The web app on 127.0.0.1:port in a background thread."""

    def __init__(self, app: App, port: int) -> None:
        config = uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_notify_me_push_and_click(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn, browser: object
) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    raw = push_config_dict(tmp_path, ca_bundle)
    raw["publication"]["public_url"] = site
    app = push_app(parse_config(raw, "test"))
    fake = push_service.subscribe()
    with Served(app, port):
        context = browser.new_context(viewport={"width": 375, "height": 800}, locale="he-IL")
        context.grant_permissions(["notifications"], origin=site)
        context.add_init_script(STUB_PUSH_MANAGER % json.dumps(fake.json))
        page = context.new_page()
        page.goto(f"{site}/subscribe?lang=he")
        button = page.get_by_role("button", name="הפעלת התראות")
        button.wait_for(state="visible")
        page.get_by_label("תקציר שווקים").check()
        button.click()
        page.get_by_text("ההתראות פועלות במכשיר הזה.").wait_for()
        key = page.evaluate(
            "() => Array.from(new Uint8Array(window.__pushOptions.applicationServerKey)).length"
        )
        assert key == 65
        with app.engine.connect() as conn:
            stored = conn.execute(
                select(PushSubscriptionRow.endpoint, PushSubscriptionRow.locale)
            ).all()
        assert [tuple(r) for r in stored] == [(fake.endpoint, "he")]

        # the edition goes out: the sender's real push reaches the stand-in, decrypted
        edition = store_edition(app)
        sender = WebPushSender(app)
        with app.engine.begin() as conn:
            sender.prepare(conn, edition, app.clock())
        assert sender.run(edition, KeepGoing()).counts["sent"] == 1
        [push] = push_service.received(fake.id)

        # ... and is delivered to the worker as the browser's push service would
        cdp = context.new_cdp_session(page)
        registrations: list[str] = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda e: registrations.extend(
                r["registrationId"] for r in e["registrations"] if not r["isDeleted"]
            ),
        )
        cdp.send("ServiceWorker.enable")
        deadline = time.monotonic() + 10
        while not registrations and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": site, "registrationId": registrations[0], "data": push.plaintext.decode()},
        )
        shown: list[dict] = []
        deadline = time.monotonic() + 10
        while not shown and time.monotonic() < deadline:
            shown = page.evaluate(NOTIFICATIONS_JS)
            page.wait_for_timeout(50)
        assert len(shown) == 1
        note = shown[0]
        assert note["title"].startswith("SKN Markets — תקציר שווקים, 30 בינואר 2026")
        assert note["body"].splitlines()[0] == "• DAX closes at a record as tech stocks rally"
        assert note["lang"] == "he" and note["dir"] == "rtl" and note["tag"] == "markets-en"
        assert note["data"]["url"] == f"{site}/e/markets-en/2026-01-30?lang=he#top-story"
        assert note["actions"] == ["פתיחה", "העדפות"]

        # a click on the notification opens the edition page
        [worker] = context.service_workers
        url = worker.evaluate(CLICK_JS)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            opened = [p for p in context.pages if p.url == url]
            if opened:
                break
            page.wait_for_timeout(50)
        assert opened, [p.url for p in context.pages]
        opened[0].wait_for_load_state()
        assert "DAX closes at a record" in opened[0].content()
        context.close()
    app.engine.dispose()
