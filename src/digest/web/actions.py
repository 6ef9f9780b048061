"""Subscription use cases shared by the web app and the CLI: opt-in, confirm, opt-out, prefs.

Each function runs in one database transaction and returns a short outcome word; what a
person is shown is decided by the caller. Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from digest.models import PersonalValues, Recipient
from digest.store.subscribers import SubscriberRecord, subscriber_by_email, subscriber_by_id
from digest.store.subscriptions import (
    ConsentRecord,
    Evidence,
    SubscriptionRequest,
    Suppression,
    add_suppression,
    confirm_subscriber,
    consent_by_id,
    consents_for_subscriber,
    count_recent_consents,
    create_pending_subscriber,
    latest_consent,
    record_consent,
    resubscribe_subscriber,
    set_pause,
    set_subscriber_status_by_email,
    suppression_for,
    unsubscribe_subscriber,
    update_pending_subscriber,
    update_preferences,
)
from digest.tokens import TokenData
from digest.web.errors import UnknownSubscriber
from digest.web.forms import PreferenceChoice, normalise_email
from digest.web.mail import render_confirmation_email, render_manage_email

if TYPE_CHECKING:
    from digest.app import App
    from digest.web.mail import ServiceMailer
    from digest.web.templating import PageRenderer

CONFIRM_VALID_DAYS = 7
CONFIRMATIONS_PER_ADDRESS_PER_HOUR = 3
# Suppressions that only an operator may lift: the address must not even get a confirmation.
BLOCKING_REASONS = frozenset({"bounce", "spamreport", "dropped", "manual"})
STOPPED_STATUSES = frozenset({"bounced", "complained"})


@dataclass(frozen=True, slots=True)
class ConfirmationView:
    """What the confirmation page shows before the person presses the button."""

    subscriber: SubscriberRecord
    request: SubscriptionRequest
    state: str  # ready | already | superseded | blocked


def request_detail(request: SubscriptionRequest) -> dict[str, Any]:
    """The request as stored in its consent record (and applied when confirmed)."""
    return {
        "segments": list(request.segments),
        "topics": list(request.topics),
        "locale": request.locale,
        "timezone": request.timezone,
        "name": request.name,
    }


def request_from_record(email: str, record: ConsentRecord) -> SubscriptionRequest:
    """The subscribe request kept in a consent record."""
    d = record.detail
    return SubscriptionRequest(
        email=email,
        segments=tuple(d.get("segments") or ()),
        topics=tuple(d.get("topics") or ()),
        locale=str(d.get("locale") or "en"),
        timezone=str(d.get("timezone") or "UTC"),
        name=str(d.get("name") or ""),
    )


def confirm_url(app: App, subscriber_id: int, request_id: int) -> str:
    """The confirmation link for one subscribe request (it names the request it confirms)."""
    links = app.links
    return f"{links.base_url}/c/{links.signer.make(subscriber_id, 'confirm', f'r{request_id}')}"


def request_subscription(
    app: App,
    mailer: ServiceMailer,
    pages: PageRenderer,
    request: SubscriptionRequest,
    evidence: Evidence,
) -> str:
    """Record a subscribe request and email its confirmation link.

    Returns sent, suppressed or throttled; the caller shows the same page for all three so
    that nobody learns whether an address is subscribed. If the email cannot be sent the
    transaction is rolled back (EmailNotSent) and nothing is kept.
    """
    now = app.clock()
    links = app.links  # before the transaction: a first use may store the signing key
    with app.engine.begin() as conn:
        blocked = suppression_for(conn, request.email)
        if blocked is not None and blocked.reason in BLOCKING_REASONS:
            return "suppressed"
        sub_id, created = create_pending_subscriber(conn, request, now)
        if not created:
            hour_ago = now - timedelta(hours=1)
            if (
                count_recent_consents(conn, sub_id, "subscribe", hour_ago)
                >= CONFIRMATIONS_PER_ADDRESS_PER_HOUR
            ):
                return "throttled"
            update_pending_subscriber(conn, sub_id, request, now)
        request_id = record_consent(
            conn, sub_id, "subscribe", evidence, now, request_detail(request)
        )
        rendered = render_confirmation_email(
            pages,
            request.locale,
            confirm_url=confirm_url(app, sub_id, request_id),
            segment_titles=pages.segment_titles(request.segments, request.locale),
            valid_days=CONFIRM_VALID_DAYS,
        )
        mailer.send(
            rendered,
            Recipient(sub_id, request.email, request.name, request.locale, request.timezone),
            PersonalValues(
                name=request.name,
                email=request.email,
                unsubscribe_url=links.unsubscribe_url(sub_id, None),
                preferences_url=links.preferences_url(sub_id),
            ),
            kind="confirmation",
            key=f"confirm-{request_id}",
        )
    return "sent"


def load_confirm_token(app: App, token: str) -> TokenData:
    """The data of a confirmation token; TokenError if forged, altered or older than 7 days."""
    return app.links.signer.load(token, "confirm", max_age_seconds=CONFIRM_VALID_DAYS * 86400)


def _request_id(data: TokenData) -> int | None:
    seg = data.segment or ""
    return int(seg[1:]) if seg.startswith("r") and seg[1:].isdigit() else None


def _confirmation_state(
    conn: Any, data: TokenData
) -> tuple[str, SubscriberRecord | None, SubscriptionRequest | None, ConsentRecord | None]:
    sub = subscriber_by_id(conn, data.subscriber_id)
    request_id = _request_id(data)
    record = consent_by_id(conn, request_id) if request_id is not None else None
    if sub is None or record is None or record.subscriber_id != sub.id:
        return "unknown", sub, None, None
    request = request_from_record(sub.email, record)
    confirmed = latest_consent(conn, sub.id, ["confirm"])
    if confirmed is not None and confirmed.detail.get("request_id") == record.id:
        return "already", sub, request, record
    latest = latest_consent(conn, sub.id, ["subscribe"])
    if latest is not None and latest.id != record.id:
        return "superseded", sub, request, record
    blocked = suppression_for(conn, sub.email)
    if blocked is not None and blocked.reason in BLOCKING_REASONS:
        return "blocked", sub, request, record
    return "ready", sub, request, record


def describe_confirmation(app: App, data: TokenData) -> ConfirmationView | None:
    """What a confirmation link would do, changing nothing; None if its request is unknown."""
    with app.engine.connect() as conn:
        state, sub, request, _ = _confirmation_state(conn, data)
    if state == "unknown" or sub is None or request is None:
        return None
    return ConfirmationView(subscriber=sub, request=request, state=state)


def confirm_subscription(app: App, data: TokenData, evidence: Evidence) -> str:
    """Activate the subscription the link names: confirmed, already, superseded, blocked, unknown.

    The consent record of the confirmation keeps the wording version the person agreed to
    when they asked, and links back to that request.
    """
    now = app.clock()
    with app.engine.begin() as conn:
        state, sub, request, record = _confirmation_state(conn, data)
        if state != "ready" or sub is None or request is None or record is None:
            return state
        configured = {s.name for s in app.config.segments}
        request = SubscriptionRequest(
            email=request.email,
            segments=tuple(s for s in request.segments if s in configured),
            topics=tuple(t for t in request.topics if t in app.config.topics),
            locale=request.locale,
            timezone=request.timezone,
            name=request.name,
        )
        confirm_subscriber(conn, sub.id, request, now, keep_segments=sub.status == "active")
        record_consent(
            conn,
            sub.id,
            "confirm",
            Evidence(
                source=evidence.source,
                ip=evidence.ip,
                user_agent=evidence.user_agent,
                wording_version=record.wording_version,
            ),
            now,
            {"request_id": record.id, "segments": list(request.segments)},
        )
    return "confirmed"


def subscriber_for_token(app: App, data: TokenData) -> SubscriberRecord | None:
    """The subscriber a genuine token names, if they still exist."""
    with app.engine.connect() as conn:
        return subscriber_by_id(conn, data.subscriber_id)


def unsubscribe(app: App, subscriber_id: int, segment: str | None, evidence: Evidence) -> str:
    """Leave one segment or everything at once: segment, all or already."""
    with app.engine.begin() as conn:
        return unsubscribe_subscriber(
            conn, subscriber_id, segment, evidence.source, app.clock(), evidence
        )


def unsubscribe_email(app: App, email: str, evidence: Evidence) -> str:
    """Unsubscribe the address from everything; UnknownSubscriber if nobody has it."""
    address = normalise_email(email)
    with app.engine.begin() as conn:
        sub = subscriber_by_email(conn, address)
        if sub is None:
            raise UnknownSubscriber(f"no subscriber with the address {address}")
        return unsubscribe_subscriber(conn, sub.id, None, evidence.source, app.clock(), evidence)


def save_preferences(
    app: App, subscriber_id: int, choice: PreferenceChoice, evidence: Evidence
) -> str:
    """Store the preference centre's choices: saved, or unsubscribed when no segment is left."""
    now = app.clock()
    with app.engine.begin() as conn:
        sub = subscriber_by_id(conn, subscriber_id)
        if sub is None:
            raise UnknownSubscriber(f"subscriber {subscriber_id} no longer exists")
        leaving = not choice.segments and sub.status == "active"
        update_preferences(
            conn,
            subscriber_id,
            segments=choice.segments or sub.segments,
            topics=choice.topics,
            locale=choice.locale,
            timezone=choice.timezone,
            paused_until=sub.paused_until,
            now=now,
            evidence=evidence,
        )
        if leaving:
            unsubscribe_subscriber(conn, subscriber_id, None, evidence.source, now, evidence)
            return "unsubscribed"
    return "saved"


def pause(app: App, subscriber_id: int, until: datetime | None, evidence: Evidence) -> None:
    """Pause the subscriber's digests until ``until``; None resumes them now."""
    with app.engine.begin() as conn:
        set_pause(conn, subscriber_id, until, app.clock(), evidence)


def resubscribe(
    app: App, subscriber_id: int, choice: PreferenceChoice | None, evidence: Evidence
) -> bool:
    """Subscribe an unsubscribed person again (from their own preferences link).

    False when the address was stopped for a bounce or complaint: only an operator lifts that.
    """
    now = app.clock()
    with app.engine.begin() as conn:
        sub = subscriber_by_id(conn, subscriber_id)
        if sub is None:
            raise UnknownSubscriber(f"subscriber {subscriber_id} no longer exists")
        if choice is not None and choice.segments:
            update_preferences(
                conn,
                subscriber_id,
                segments=choice.segments,
                topics=choice.topics,
                locale=choice.locale,
                timezone=choice.timezone,
                paused_until=None,
                now=now,
                evidence=evidence,
            )
        return resubscribe_subscriber(conn, subscriber_id, now, evidence)


def request_manage_link(app: App, mailer: ServiceMailer, pages: PageRenderer, email: str) -> str:
    """Email a fresh preferences link to a known, unblocked address: sent or skipped."""
    address = normalise_email(email)
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, address)
        blocked = suppression_for(conn, address)
    if sub is None or (blocked is not None and blocked.reason in BLOCKING_REASONS):
        return "skipped"
    links = app.links
    prefs = links.preferences_url(sub.id)
    unsub = links.unsubscribe_url(sub.id, None)
    rendered = render_manage_email(pages, sub.locale, preferences_url=prefs, unsubscribe_url=unsub)
    mailer.send(
        rendered,
        Recipient(sub.id, sub.email, sub.name, sub.locale, sub.timezone),
        PersonalValues(sub.name, sub.email, unsub, prefs),
        kind="manage-link",
        key=f"manage-{sub.id}-{int(app.clock().timestamp())}",
    )
    return "sent"


@dataclass(frozen=True, slots=True)
class SubscriberReport:
    """Everything an operator needs to answer "why does (or doesn't) this person get mail?"."""

    subscriber: SubscriberRecord | None
    suppression: Suppression | None
    consents: tuple[ConsentRecord, ...]


def describe_subscriber(app: App, email: str) -> SubscriberReport:
    """The subscriber, their suppression and consent history; UnknownSubscriber if neither."""
    address = normalise_email(email)
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, address)
        suppression = suppression_for(conn, address)
        consents = tuple(consents_for_subscriber(conn, sub.id)) if sub else ()
    if sub is None and suppression is None:
        raise UnknownSubscriber(f"no subscriber or suppression for {address}")
    return SubscriberReport(sub, suppression, consents)


def suppress_address(
    app: App, email: str, reason: str, source: str, detail: str | None = None
) -> bool:
    """Suppress an address (subscriber or not); True if newly suppressed or made stronger."""
    address = normalise_email(email)
    now = app.clock()
    with app.engine.begin() as conn:
        changed = add_suppression(conn, address, reason, source, now, detail)
        status = {"bounce": "bounced", "dropped": "bounced", "spamreport": "complained"}.get(reason)
        if status is not None:
            set_subscriber_status_by_email(conn, address, status, now)
    return changed
