"""The ``apprise`` ChannelSender: post each edition once to each of the segment's URLs.

A failed post is tried again with a growing wait (up to ``MAX_ATTEMPTS`` in all), then
recorded as failed with the reason; either way the run returns and the email goes on. A
post cut short by a crash is ``unknown`` and is not posted again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime, timedelta

import apprise
from sqlalchemy import Connection

from digest.app import App
from digest.apprise_channel.message import ChannelPost, build_post
from digest.apprise_channel.urls import AppriseUrlError, expand, label, url_key
from digest.channel_run import ChannelRun, RunControl
from digest.channel_run import wait as wait_for
from digest.i18n import segment_title
from digest.models import Edition
from digest.push.models import PushState
from digest.send.workers import is_dead_worker, new_worker_id
from digest.store import apprise_ledger as ledger

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4
BACKOFF = (2.0, 5.0, 15.0)
POST_LEASE = timedelta(minutes=5)
MAX_INLINE_WAIT = 60.0


class AppriseSender:
    """Posts an edition to the segment's ``apprise_urls`` (secrets from the environment)."""

    name = "apprise"

    def __init__(
        self, app: App, *, worker_id: str | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self.app = app
        self.worker = worker_id or new_worker_id("apprise")
        self.env = env if env is not None else os.environ

    def _templates(self, segment_name: str) -> dict[str, str]:
        urls = self.app.config.segment(segment_name).apprise_urls
        return {url_key(u): u for u in urls}

    def prepare(
        self, conn: Connection, edition: Edition, now: datetime, *, plan: bool = True
    ) -> None:
        """Inside the edition's lock: plan one post per URL once (when ``plan``), recover."""
        assert edition.id is not None
        ledger.recover_apprise(conn, edition.id, now, is_dead_worker)
        if not plan:
            return
        urls = [(key, label(u)) for key, u in self._templates(edition.segment).items()]
        ledger.plan_apprise(conn, edition.id, urls, planned_by=self.worker, now=now)

    def open_work(self, conn: Connection, edition_id: int) -> int:
        """Posts still pending or posting (0: this channel is done)."""
        return ledger.open_apprise_work(conn, edition_id)

    def counts(self, conn: Connection, edition_id: int, now: datetime) -> dict[str, int]:
        """Where the edition's posts stand."""
        return ledger.apprise_counts(conn, edition_id)

    def unknown(self, conn: Connection, edition_id: int, now: datetime) -> int:
        """Posts cut short by a crash (maybe posted); they are never posted again."""
        return ledger.apprise_counts(conn, edition_id)[PushState.UNKNOWN]

    def close(self) -> None:
        """Nothing is held between runs."""

    def run(self, edition: Edition, control: RunControl) -> ChannelRun:
        """Post every due post; wait briefly for retries; report failures, never raise."""
        assert edition.id is not None
        try:
            return self._run(edition, edition.id, control)
        except Exception as exc:  # a channel post must never stop the email: report it
            log.exception("apprise: the channel stopped")
            with self.app.engine.connect() as conn:
                counts = ledger.apprise_counts(conn, edition.id)
            return ChannelRun("apprise", counts, note=f"apprise stopped: {exc}")

    def _run(self, edition: Edition, eid: int, control: RunControl) -> ChannelRun:
        with self.app.engine.begin() as conn:
            ledger.recover_apprise(conn, eid, self.app.clock(), is_dead_worker)
        post = self._post_for(edition)
        templates = self._templates(edition.segment)
        posted, stopped, next_due = 0, False, None
        while not (stopped := control.should_stop()):
            now = self.app.clock()
            with self.app.engine.connect() as conn:
                due = ledger.due_posts(conn, eid, now)
            for key, attempts in due:
                posted += self._post_one(eid, key, attempts, templates.get(key), post)
            with self.app.engine.connect() as conn:
                next_due = ledger.next_apprise_due(conn, eid, self.app.clock())
            if next_due is None:
                break
            pause = (next_due - self.app.clock()).total_seconds()
            if pause > MAX_INLINE_WAIT:
                break
            if wait_for(control, min(max(pause, 0.05), 5.0)):
                stopped = True
                break
            next_due = None
        with self.app.engine.connect() as conn:
            counts = ledger.apprise_counts(conn, eid)
            failures = ledger.apprise_failures(conn, eid)
        note = "; ".join(f"{lbl}: {status} ({err})" for lbl, status, err in failures) or None
        return ChannelRun(
            "apprise", counts, stopped=stopped, next_due=next_due, note=note, sent=posted
        )

    def _post_for(self, edition: Edition) -> ChannelPost:
        segment = self.app.config.segment(edition.segment)
        return build_post(
            edition,
            publication=self.app.config.publication.name,
            segment_title=segment_title(self.app.config, segment, segment.locale),
            locale=segment.locale,
            edition_url=self.app.links.browser_url(segment.name, edition.edition_date.isoformat()),
        )

    def _post_one(
        self, eid: int, key: str, attempts: int, template: str | None, post: ChannelPost
    ) -> int:
        now = self.app.clock()
        with self.app.engine.begin() as conn:
            if not ledger.start_post(
                conn, eid, key, worker=self.worker, lease_until=now + POST_LEASE
            ):
                return 0
        error = self._deliver(template, post)
        attempt = attempts + 1
        status, retry_at = PushState.SENT, None
        if error is not None:
            permanent = error.startswith("!")
            error = error.lstrip("!")
            if permanent or attempt >= MAX_ATTEMPTS:
                status = PushState.FAILED
                log.warning("apprise post failed for good: %s", error)
            else:
                status = PushState.PENDING
                retry_at = self.app.clock() + timedelta(seconds=BACKOFF[attempt - 1])
        with self.app.engine.begin() as conn:
            ledger.finish_post(
                conn, eid, key, status, self.app.clock(), error=error, not_before=retry_at
            )
        return 1 if status == PushState.SENT else 0

    def _deliver(self, template: str | None, post: ChannelPost) -> str | None:
        """None when posted; else why not ("!" first when trying again cannot help)."""
        if template is None:
            return "!the URL is no longer in the segment's apprise_urls"
        try:
            url = expand(template, self.env)
        except AppriseUrlError as exc:
            return f"!{label(template)}: {exc}"
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return f"!{label(template)}: not a URL Apprise can post to"
        try:
            ok = notifier.notify(
                title=post.title, body=post.body, body_format=apprise.NotifyFormat.MARKDOWN
            )
        except Exception as exc:  # a plugin's own failure must not stop the send
            return f"{label(template)}: {type(exc).__name__}: {exc}"
        return None if ok else f"{label(template)}: the service refused or did not answer"
