"""``digest send SEGMENT --only EMAIL,…``: an edition that went out, to listed people who did
not get it — exactly once, through the edition's own ledger.

Each listed address is sorted first, in one transaction holding the edition's lock: not a
subscriber, not in the segment or not to be sent now (unsubscribed, bounced, suppressed,
paused, outside the audience), already has it (sent), may have it (unknown: that is
``--retry-unknown``'s business) or is being sent it — or it goes into a new batch of the
edition. A sent edition is reopened for those batches and sent now (the same send use case:
it finishes the edition again); a send still running takes them with the rest. Nothing is
sent to anyone the sorting did not pick, and nothing at all when ``dry_run``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from digest import lifecycle
from digest.lifecycle import EditionError, EditionState

if TYPE_CHECKING:
    from digest.app import App
    from digest.send.report import SendReport
    from digest.store.ledger_subset import Listed

MAX_LISTED = 10_000


class OnlyRefused(EditionError):
    """The edition cannot be sent to a list now (not sent yet, paused, cancelled …)."""


@dataclass(frozen=True, slots=True)
class OnlyReport:
    """What ``--only`` did for each listed address."""

    segment: str
    edition_date: date
    state: str  # the edition's state before
    dry_run: bool
    to_send: tuple[str, ...] = ()  # picked (sent now, or queued to a running send)
    queued: bool = False  # picked ones go with a send already running elsewhere
    skipped: tuple[tuple[str, str], ...] = ()  # (address, why) — nothing sent to them
    unknown: tuple[str, ...] = ()  # not subscribers at all
    invalid: tuple[str, ...] = ()  # not email addresses
    outcome: dict[str, str] = field(default_factory=dict)  # picked address -> ledger reading
    report: SendReport | None = None

    @property
    def complete(self) -> bool:
        """Every listed address has the edition now (or had it already)."""
        not_had = [a for a, why in self.skipped if not why.startswith("already")]
        missing = [a for a in self.to_send if self.outcome.get(a) != "sent"]
        return not (self.unknown or self.invalid or not_had or missing)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segment": self.segment,
            "edition_date": self.edition_date.isoformat(),
            "state_before": self.state,
            "dry_run": self.dry_run,
            "to_send": list(self.to_send),
            "queued_to_running_send": self.queued,
            "outcome": self.outcome,
            "skipped": [{"address": a, "why": w} for a, w in self.skipped],
            "unknown_addresses": list(self.unknown),
            "invalid_addresses": list(self.invalid),
        }


def read_addresses(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(addresses lower-cased without repeats, in order; entries that are not addresses).

    Each value may hold several, separated by commas, semicolons or white space; text after
    ``#`` on a line is a comment (for ``--only-file``).
    """
    from digest.addresses import InvalidAddress, normalise_address

    good: list[str] = []
    bad: list[str] = []
    seen: set[str] = set()
    for value in values:
        for line in value.splitlines() or [value]:
            line = line.split("#", 1)[0]
            for raw in line.replace(",", " ").replace(";", " ").split():
                try:
                    address = normalise_address(raw)
                except InvalidAddress:
                    bad.append(raw)
                    continue
                if address not in seen:
                    seen.add(address)
                    good.append(address)
    return good, bad


def _why_not(item: Listed, segment: str) -> str | None:
    """Why a listed subscriber is not sent the edition now; None if they are."""
    if not item.in_segment:
        return f"not subscribed to {segment}"
    if item.status != "active":
        return f"subscriber status is {item.status}"
    if item.suppressed:
        return f"suppressed ({item.suppressed})"
    if not item.eligible:
        if item.paused_until is not None:
            return f"paused until {item.paused_until.isoformat()}"
        return "outside the segment's audience"
    return None


_HAD = {
    "sent": "already sent this edition",
    "unknown": "outcome unknown: the provider may have it (see --retry-unknown)",
    "in_flight": "being sent right now",
    "pending": "already due to be sent with this edition",
}


def _sort(
    listed: Sequence[Listed], segment: str
) -> tuple[list[Listed], list[tuple[str, str]], list[str]]:
    """(to send, skipped with why, unknown addresses)."""
    picked, skipped, unknown = [], [], []
    for item in listed:
        if item.subscriber_id is None:
            unknown.append(item.email)
            continue
        why = _why_not(item, segment)
        if why is None and item.delivery in _HAD:
            why = _HAD[item.delivery]
        if why is None:
            picked.append(item)
        else:
            skipped.append((item.email, why))
    return picked, skipped, unknown


def send_only(
    app: App,
    segment_name: str,
    edition_date: date,
    addresses: Sequence[str],
    *,
    actor: str,
    invalid: Sequence[str] = (),
    dry_run: bool = False,
) -> OnlyReport:
    """Send the segment's edition of ``edition_date`` to the listed addresses that may get
    it and have not; OnlyRefused when the edition is not one that went out."""
    from digest.send.workers import is_dead_worker
    from digest.store.editions import edition_for
    from digest.store.history import lock_edition_state
    from digest.store.ledger_subset import add_listed_batches, listed_subscribers

    segment = app.config.segment(segment_name)
    if len(addresses) > MAX_LISTED:
        raise OnlyRefused(f"{len(addresses)} addresses listed; at most {MAX_LISTED} at a time")
    now = app.clock()
    with app.engine.begin() as conn:
        edition = edition_for(conn, segment.name, edition_date)
        label = f"{segment.name} {edition_date.isoformat()}"
        found = lock_edition_state(conn, edition.id) if edition and edition.id else None
        if edition is None or edition.id is None or found is None:
            raise OnlyRefused(f"{label} has no edition: send it first; --only sends an edition "
                              "that went out to people who did not get it")  # fmt: skip
        state = EditionState(found[0])
        _check_state(state, label)
        listed = listed_subscribers(conn, segment, edition.id, addresses, now, is_dead_worker)
        picked, skipped, unknown = _sort(listed, segment.name)
        report = OnlyReport(
            segment=segment.name,
            edition_date=edition_date,
            state=str(state),
            dry_run=dry_run,
            to_send=tuple(p.email for p in picked),
            queued=state is EditionState.SENDING,
            skipped=tuple(skipped),
            unknown=tuple(unknown),
            invalid=tuple(invalid),
        )
        if dry_run or not picked:
            return report  # nothing written
        locales = segment.send_locales
        pairs = [
            (p.subscriber_id or 0, p.locale if p.locale in locales else segment.locale)
            for p in picked
        ]
        add_listed_batches(conn, edition.id, pairs, now, batch_size=_batch_size(app))
        if state is EditionState.SENT:
            reason = f"sent to {len(picked)} listed address(es) (--only)"
            lifecycle.reopen(conn, edition.id, actor=actor, now=now, reason=reason)
    if state is not EditionState.SENT:
        return report  # a running send takes the new batches
    return _send_now(app, report, actor, edition.id)


def _check_state(state: EditionState, label: str) -> None:
    if state in (EditionState.SENT, EditionState.SENDING):
        return
    if state in (EditionState.DRAFT, EditionState.APPROVED, EditionState.HELD):
        raise OnlyRefused(
            f"{label} has not been sent yet ({state}): --only sends an edition that went out "
            "to people who did not get it; send the edition first"
        )
    if state is EditionState.PAUSED:
        raise OnlyRefused(f"{label} is paused: resume it first (`digest resume`)")
    raise OnlyRefused(f"{label} is {state}: nothing more is sent for it")


def _batch_size(app: App) -> int:
    transport = app.transport()
    try:
        return int(transport.max_batch_size)
    finally:
        transport.close()


def _send_now(app: App, report: OnlyReport, actor: str, edition_id: int) -> OnlyReport:
    """Run the edition's send (only the new batches are due) and read each picked outcome."""
    from dataclasses import replace

    from digest.send.workers import is_dead_worker
    from digest.sending import send_edition
    from digest.store.ledger_subset import listed_subscribers

    sent = send_edition(app, report.segment, report.edition_date, actor=actor, channels=["email"])
    segment = app.config.segment(report.segment)
    with app.engine.connect() as conn:
        after = listed_subscribers(
            conn, segment, edition_id, list(report.to_send), app.clock(), is_dead_worker
        )
    outcome = {item.email: item.delivery or "pending" for item in after}
    return replace(report, outcome=outcome, report=sent)
