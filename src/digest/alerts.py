"""Alerts: held, missed, failed and outage-stopped editions, shown to ops and posted once.

An alert is one event per (kind, segment, edition date), stored in ``alerts``: the scheduler
records missed and failed runs, the send use case records a send stopped by a provider
outage or refusal, and held editions are picked up from the editions table
(``sync_held``). ``digest status`` and the console show the ones nobody acknowledged;
``post_alerts`` posts each to ops' own channels through Apprise (``alerts.apprise_urls``),
at most once per channel, retrying a channel that failed on the next call.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from digest.store.alerts import (
    AlertRecord,
    acknowledge_alert,
    alert_by_id,
    alerts_since,
    claim_alert_post,
    finish_alert_post,
    held_editions,
    insert_alert,
    postable_alerts,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from digest.app import App

log = logging.getLogger("digest.alerts")

# a claim to post that is this old belongs to a process that died while posting
CLAIM_LAPSES_AFTER = timedelta(minutes=10)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class AlertKind(StrEnum):
    """What went wrong with an edition."""

    HELD = "held"  # approval was required and missing at the send deadline
    MISSED = "missed"  # its due time passed without a scheduler to run it
    FAILED = "failed"  # the run failed, or the provider refused the send
    OUTAGE = "outage"  # the send stopped because the provider stayed unavailable


HINTS = {
    AlertKind.HELD: "approve it on the desk (or `digest edition approve`), then send it",
    AlertKind.MISSED: "nothing was sent for it; send it by hand if it is still wanted",
    AlertKind.FAILED: "see the reason; `digest send SEGMENT --date DATE` resumes once fixed",
    AlertKind.OUTAGE: (
        "nobody was marked failed for it; `digest send SEGMENT --date DATE` resumes the "
        "pending recipients once the provider is back (the scheduler retries on its own)"
    ),
}
# an edition in one of these states needs nothing more from ops
_SETTLED_EDITION = ("sent", "cancelled", "skipped")


class AlertError(Exception):
    """Alerts cannot be posted as configured (a missing variable, an unusable URL)."""


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as ops see it: what happened, what to do, whether it still needs them."""

    record: AlertRecord
    resolved: bool  # the edition has since been sent, cancelled or skipped on purpose
    hint: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values (for ``digest status --json`` and the console's live updates)."""
        r = self.record
        return {
            "id": r.id,
            "kind": r.kind,
            "segment": r.segment,
            "edition_date": r.edition_date.isoformat() if r.edition_date else None,
            "edition_id": r.edition_id,
            "message": r.message,
            "hint": self.hint,
            "raised_at": r.raised_at.isoformat(),
            "resolved": self.resolved,
            "post_state": r.post_state,
            "posted_at": r.posted_at.isoformat() if r.posted_at else None,
            "post_error": r.post_error,
        }


def alert_view(record: AlertRecord) -> AlertView:
    kind = AlertKind(record.kind)
    resolved = kind != AlertKind.MISSED and record.edition_status in _SETTLED_EDITION
    return AlertView(record=record, resolved=resolved, hint=HINTS[kind])


def raise_alert(
    conn: Connection,
    kind: AlertKind,
    *,
    segment: str,
    edition_date: date,
    message: str,
    now: datetime,
    edition_id: int | None = None,
) -> int | None:
    """Record the alert in the caller's transaction; None if this event was recorded before."""
    key = f"{kind.value}:{segment}:{edition_date.isoformat()}"
    new_id = insert_alert(
        conn,
        key=key,
        kind=kind.value,
        segment=segment,
        edition_date=edition_date,
        edition_id=edition_id,
        message=message,
        now=now,
    )
    if new_id is not None:
        log.info("alert %s: %s %s: %s", kind.value, segment, edition_date, message)
    return new_id


def note_send_stopped(app: App, edition: Any, exc: Any) -> None:
    """Raise the alert for a send stopped at once (``SendAborted``) and post it; never raises.

    An outage (the provider stayed unavailable) and a refusal (credentials, forbidden, an
    invalid message) are different alerts: the first clears itself, the second needs ops.
    """
    kind = AlertKind.OUTAGE if exc.outage else AlertKind.FAILED
    what = "the provider stayed unavailable" if exc.outage else "the provider refused the send"
    pending = exc.report.pending
    message = f"{what}: {exc.reason}; {pending} recipient(s) still pending"
    try:
        with app.engine.begin() as conn:
            raise_alert(
                conn,
                kind,
                segment=edition.segment,
                edition_date=edition.edition_date,
                message=message,
                now=app.clock(),
                edition_id=edition.id,
            )
    except Exception as err:  # the stop itself is what the caller must report
        log.error("recording the %s alert failed: %s", kind.value, err)
        return
    post_quietly(app)


def sync_held(app: App) -> int:
    """Record an alert for each recent held edition not alerted yet; how many were new."""
    now = app.clock()
    since = (now - timedelta(days=app.config.alerts.show_days)).date()
    new = 0
    with app.engine.begin() as conn:
        for edition_id, segment, edition_date in held_editions(conn, since):
            message = (
                f"edition {segment} {edition_date} is held: it needs an editor's approval "
                "and had none at its send time"
            )
            if raise_alert(
                conn,
                AlertKind.HELD,
                segment=segment,
                edition_date=edition_date,
                message=message,
                now=now,
                edition_id=edition_id,
            ):
                new += 1
    return new


def active_alerts(
    app: App, segment: str | None = None, *, include_resolved: bool = False
) -> list[AlertView]:
    """Alerts of the last ``alerts.show_days`` nobody acknowledged, newest first."""
    sync_held(app)
    since = app.clock() - timedelta(days=app.config.alerts.show_days)
    with app.engine.connect() as conn:
        records = alerts_since(conn, since, segment=segment)
    views = [alert_view(r) for r in records]
    return [v for v in views if include_resolved or not v.resolved]


def acknowledge(app: App, alert_id: int, *, actor: str) -> AlertView:
    """Mark an alert dealt with (it leaves status and the console); AlertError if unknown."""
    with app.engine.begin() as conn:
        record = alert_by_id(conn, alert_id)
        if record is None:
            raise AlertError(f"there is no alert {alert_id}")
        if record.acknowledged_at is None:
            acknowledge_alert(conn, alert_id, actor, app.clock())
        record = alert_by_id(conn, alert_id)
    assert record is not None
    return alert_view(record)


# -- posting -------------------------------------------------------------------------------


class Channel(Protocol):
    """One place alerts go: a stable fingerprint, a printable name without secrets, a post."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def name(self) -> str: ...

    def post(self, title: str, body: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class AppriseChannel:
    """An Apprise notification service built from one configured URL."""

    fingerprint: str
    name: str
    plugin: Any = field(repr=False)

    def post(self, title: str, body: str) -> bool:
        """Post one alert; False if the service did not take it."""
        from apprise import NotifyType

        return bool(self.plugin.notify(body=body, title=title, notify_type=NotifyType.WARNING))


def resolve_url(template: str, env: Mapping[str, str], where: str) -> str:
    """The URL with each ${NAME} filled from ``env``; AlertError naming a missing variable."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if not env.get(name):
            raise AlertError(f"{where} needs the environment variable {name}, which is not set")
        return env[name]

    return _ENV_REF.sub(fill, template)


def apprise_channels(templates: Sequence[str], env: Mapping[str, str]) -> list[AppriseChannel]:
    """The configured Apprise services; AlertError naming the key of an unusable one."""
    import apprise

    channels = []
    for i, template in enumerate(templates):
        where = f"alerts.apprise_urls[{i}]"
        plugin = apprise.Apprise.instantiate(resolve_url(template, env, where))
        if plugin is None:
            scheme = template.split("://", 1)[0]
            raise AlertError(f"{where}: Apprise does not understand this {scheme}:// URL")
        fingerprint = hashlib.sha256(template.encode()).hexdigest()[:16]
        name = str(plugin.url(privacy=True)).split("?", 1)[0]
        channels.append(AppriseChannel(fingerprint=fingerprint, name=name, plugin=plugin))
    return channels


@dataclass(frozen=True, slots=True)
class PostSummary:
    """What one round of posting did."""

    posted: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another process meanwhile
    errors: tuple[str, ...] = ()


def _title(record: AlertRecord, publication: str) -> str:
    return f"[{publication}] {record.kind}: {record.segment} {record.edition_date}"


def _body(view: AlertView) -> str:
    return f"{view.record.message}\n\nWhat to do: {view.hint}"


def post_alerts(app: App, channels: Sequence[Channel] | None = None) -> PostSummary:
    """Post every recent alert not yet posted to each channel; record what each took.

    ``channels`` defaults to the configured Apprise services. A channel that refuses is
    tried again on the next call (up to ``alerts.max_post_attempts`` times in all); one
    that took the alert never gets it again.
    """
    settings = app.config.alerts
    if channels is None:
        channels = app.alert_channels()
    if not channels:
        return PostSummary()
    sync_held(app)
    now = app.clock()
    stale = now - CLAIM_LAPSES_AFTER
    since = now - timedelta(hours=settings.post_within_hours)
    with app.engine.connect() as conn:
        due = postable_alerts(conn, since, settings.kinds, stale)
    posted = failed = skipped = 0
    errors: list[str] = []
    title_of = app.config.publication.name
    for record in due:
        with app.engine.begin() as conn:
            if not claim_alert_post(conn, record.id, app.clock(), stale):
                skipped += 1
                continue
        error = _post_one(app, record, channels, title_of, settings.max_post_attempts)
        if error is None:
            posted += 1
        else:
            failed += 1
            errors.append(error)
    return PostSummary(posted, failed, skipped, tuple(errors))


def _post_one(
    app: App,
    record: AlertRecord,
    channels: Sequence[Channel],
    publication: str,
    max_attempts: int,
) -> str | None:
    """Post a claimed alert to the channels that lack it; the error, or None."""
    done = list(record.posted_channels)
    refused = []
    view = alert_view(record)
    for channel in channels:
        if channel.fingerprint in done:
            continue
        try:
            ok = channel.post(_title(record, publication), _body(view))
        except Exception as exc:  # a plugin's own failure must not stop the others
            log.warning("alert %s: posting to %s raised %s", record.id, channel.name, exc)
            ok = False
        if ok:
            done.append(channel.fingerprint)
        else:
            refused.append(channel.name)
    error = None
    state = "posted"
    if refused:
        error = f"not taken by {', '.join(refused)} (attempt {record.post_attempts + 1})"
        state = "failed" if record.post_attempts + 1 < max_attempts else "abandoned"
        log.warning("alert %s: %s", record.id, error)
    with app.engine.begin() as conn:
        finish_alert_post(conn, record.id, state=state, channels=done, error=error, now=app.clock())
    return error


def post_quietly(app: App, channels: Callable[[], Sequence[Channel]] | None = None) -> None:
    """Post due alerts, logging (never raising) any problem: for callers with other work."""
    try:
        post_alerts(app, channels() if channels else None)
    except Exception as exc:
        log.error("posting alerts failed: %s", exc)
