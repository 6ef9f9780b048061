"""SendGrid Event Webhook: read a verified post's events, then apply them in bulk, once each.

Reading is pure: each event becomes a ``SendGridEvent`` or is skipped as malformed with the
reason (not an object, no event name, an unusable address or edition id, or a value no
database stores: a NUL, an unpaired surrogate, a non-finite or 5,000-digit number). A
malformed event never fails its neighbours. Applying is idempotent and set-based (see
``digest.store.provider_events``): each event id is stored once, so a replayed post changes
nothing, and only a database failure makes the post fail (then SendGrid retries it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from digest.store.db import retry_on_conflict
from digest.store.engagement import AppliedEvent, count_applied_events
from digest.store.provider_events import (
    EDITION_COUNTERS,
    EventRecord,
    SuppressionInput,
    add_edition_counts,
    insert_new_events,
    lock_subscribers_by_email,
    set_status_of_addresses,
    suppress_addresses,
    unsubscribe_addresses,
)
from digest.text_safety import unsafe_character
from digest.web.errors import WebhookRejected
from digest.web.sendgrid_signature import (  # noqa: F401  (re-exported for the routes)
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SendGridSignatureVerifier,
)

if TYPE_CHECKING:
    from digest.app import App

log = logging.getLogger(__name__)

PROVIDER = "sendgrid"
MAX_EDITION_ID = 2**63 - 1
MAX_REASONS_LOGGED = 5

# event -> (suppression reason, subscriber status); "unsubscribed" goes through the opt-out
SUPPRESSING_EVENTS = {
    "bounce": ("bounce", "bounced"),
    "dropped": ("dropped", "bounced"),
    "spamreport": ("spamreport", "complained"),
    "unsubscribe": ("unsubscribe", "unsubscribed"),
    "group_unsubscribe": ("unsubscribe", "unsubscribed"),
}
COUNTED_EVENTS = tuple(EDITION_COUNTERS)

# a body that holds none of these escapes cannot carry a NUL or an unpaired surrogate
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")


class _Unstorable:
    """Stands in for a number no database column or JSON document can hold."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unstorable number>"


UNSTORABLE = _Unstorable()


@dataclass(frozen=True, slots=True)
class ParsedPost:
    """The events of a post, and whether some may hold a value no database stores."""

    events: list[Any]
    suspect: bool


@dataclass(frozen=True, slots=True)
class SendGridEvent:
    """One event as we use it: validated, address normalised."""

    record: EventRecord
    detail: str | None

    @property
    def kind(self) -> str:
        return self.record.event


@dataclass(frozen=True, slots=True)
class EventSummary:
    """What one webhook post did."""

    received: int
    applied: int
    duplicates: int
    ignored: int


def parse_events(body: bytes) -> ParsedPost:
    """The JSON array of events in a body; WebhookRejected (400) if it is not one."""
    flagged: list[bool] = []

    def number(text: str) -> float | _Unstorable:
        value = float(text)
        if math.isfinite(value):
            return value
        flagged.append(True)
        return UNSTORABLE

    def integer(text: str) -> int | _Unstorable:
        try:
            return int(text)
        except ValueError:  # longer than Python's 4,300-digit limit
            flagged.append(True)
            return UNSTORABLE

    def constant(_name: str) -> _Unstorable:
        flagged.append(True)
        return UNSTORABLE

    try:
        events = json.loads(body, parse_float=number, parse_int=integer, parse_constant=constant)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON", 400) from None
    except RecursionError:
        raise WebhookRejected("the body is nested too deeply to be a list of events", 400) from None
    if not isinstance(events, list):
        raise WebhookRejected("the body is not a JSON array of events", 400)
    return ParsedPost(events, bool(flagged) or _SUSPECT_ESCAPE.search(body) is not None)


def _storable(value: Any) -> bool:
    """False if ``value`` holds a NUL, an unpaired surrogate or an unstorable number."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not item.isascii() and not _encodes(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is UNSTORABLE:
            return False
    return True


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _event_id(event: dict[str, Any]) -> str:
    given = event.get("sg_event_id")
    if isinstance(given, str) and given.strip():
        return given.strip()[:200]
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _edition_id(event: dict[str, Any]) -> int | None | str:
    """The edition the event is about, None if it names none, or why its id is unusable."""
    raw = event.get("edition_id")
    if raw is None and isinstance(event.get("custom_args"), dict):
        raw = event["custom_args"].get("edition_id")
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        return f"edition_id {str(raw)[:40]!r} is not a number"
    if not 0 < value <= MAX_EDITION_ID:
        return f"edition_id {str(raw)[:40]} is out of range"
    return value


def _occurred_at(event: dict[str, Any]) -> datetime | None:
    raw = event.get("timestamp")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _email(event: dict[str, Any]) -> str | None:
    """The normalised address, None when absent; ValueError when it is unusable."""
    raw = event.get("email")
    if raw is None:
        return None
    if not isinstance(raw, str) or "@" not in raw or len(raw) > 320:
        raise ValueError("the email is not an address")
    if unsafe_character(raw.strip()):
        raise ValueError("the email holds a control or bidi-override character")
    return raw.strip().lower()


def _detail(event: dict[str, Any]) -> str | None:
    parts = [str(event[k]) for k in ("type", "status", "reason") if event.get(k)]
    return " ".join(parts)[:1000] or None


def read_event(raw: Any, *, suspect: bool = True) -> SendGridEvent | str:
    """The event, or why it is malformed (``suspect``: look for unstorable values too)."""
    if not isinstance(raw, dict):
        return "not a JSON object"
    if suspect and not _storable(raw):
        return "holds a value no database stores (NUL, unpaired surrogate or odd number)"
    kind = raw.get("event")
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 50 or unsafe_character(kind):
        return "no usable event name"
    edition = _edition_id(raw)
    if isinstance(edition, str):
        return edition
    try:
        email = _email(raw)
    except ValueError as exc:
        return str(exc)
    record = EventRecord(
        event_id=_event_id(raw),
        event=kind.strip(),
        email=email,
        edition_id=edition,
        occurred_at=_occurred_at(raw),
        payload=raw,
    )
    return SendGridEvent(record, _detail(raw))


def _effects(conn: Any, fresh: Sequence[SendGridEvent], now: datetime) -> None:
    """Suppressions, statuses and counters for the newly stored events, set by set."""
    suppressions: list[SuppressionInput] = []
    by_status: dict[str, set[str]] = {}
    counts: dict[int, dict[str, int]] = {}
    for e in fresh:
        email, edition = e.record.email, e.record.edition_id
        if e.kind in SUPPRESSING_EVENTS and email is not None:
            reason, status = SUPPRESSING_EVENTS[e.kind]
            suppressions.append(SuppressionInput(email, reason, e.detail))
            by_status.setdefault(status, set()).add(email)
        if e.kind in EDITION_COUNTERS and edition is not None:
            per = counts.setdefault(edition, {})
            per[e.kind] = per.get(e.kind, 0) + 1
    lock_subscribers_by_email(conn, set().union(*by_status.values()))
    unsubscribe_addresses(conn, by_status.get("unsubscribed", ()), PROVIDER, now)
    suppress_addresses(conn, suppressions, PROVIDER, now)
    set_status_of_addresses(
        conn, by_status.get("bounced", ()), "bounced", now, unless=["complained"]
    )
    set_status_of_addresses(conn, by_status.get("complained", ()), "complained", now)
    count_applied_events(
        conn,
        [
            AppliedEvent(e.record.edition_id, e.kind, e.record.email, e.record.occurred_at or now)
            for e in fresh
        ],
    )
    add_edition_counts(conn, counts)  # last: the edition rows are the ones every post shares


def apply_events(app: App, post: ParsedPost | Sequence[Any]) -> EventSummary:
    """Apply a verified post's events: malformed ones skipped, the rest once each, in bulk."""
    if not isinstance(post, ParsedPost):
        post = ParsedPost(list(post), suspect=True)
    now = app.clock()
    events: list[SendGridEvent] = []
    reasons: list[str] = []
    for raw in post.events:
        read = read_event(raw, suspect=post.suspect)
        if isinstance(read, str):
            reasons.append(read)
        else:
            events.append(read)

    def apply(conn: Any) -> int:
        new_ids = insert_new_events(conn, PROVIDER, [e.record for e in events], now)
        fresh, taken = [], set()
        for e in events:  # an id repeated inside the post counts once
            if e.record.event_id in new_ids and e.record.event_id not in taken:
                taken.add(e.record.event_id)
                fresh.append(e)
        _effects(conn, fresh, now)
        return len(fresh)

    applied = retry_on_conflict(app.engine, apply)
    if reasons:
        shown = "; ".join(reasons[:MAX_REASONS_LOGGED])
        log.warning("sendgrid webhook: %d malformed event(s) skipped: %s", len(reasons), shown)
    return EventSummary(
        received=len(post.events),
        applied=applied,
        duplicates=len(events) - applied,
        ignored=len(reasons),
    )
