"""A dry run: what a send would do now, computed without writing anything.

No edition is stored (a draft is ranked in memory when none exists), no ledger row is
written, no state changes. The variants are rendered and put through the compliance gate,
so a dry run also proves the email would pass it.
"""

from __future__ import annotations

from datetime import date

from digest.app import App
from digest.lifecycle import EditionState
from digest.models import Edition
from digest.send.report import DryRunReport, GroupCount
from digest.send.variants import gate_variant
from digest.send.workers import is_dead_worker
from digest.store import ledger
from digest.store.editions import edition_for
from digest.store.subscribers import count_segment_members

S = EditionState


def dry_run(app: App, segment_name: str, edition_date: date) -> DryRunReport:
    """What sending the segment's edition for ``edition_date`` would do now."""
    from digest.editions import draft_edition, render_variant

    segment = app.config.segment(segment_name)
    now = app.clock()
    with app.engine.connect() as conn:
        stored = edition_for(conn, segment.name, edition_date)
        counts = None
        if stored is not None and stored.id is not None and ledger.is_planned(conn, stored.id):
            counts = ledger.delivery_counts(conn, stored.id, now=now, is_dead=is_dead_worker)
        groups = ledger.plan_groups(conn, segment, now, by_timezone=segment.local_time_delivery)
        members = count_segment_members(conn, segment.name)
    edition = stored or draft_edition(app, segment.name, edition_date, now=now).edition
    # the editors' desk: the content the send would use, and the segment's approval policy
    from digest.approval import approval_blocks, edition_for_sending

    if stored is not None:
        edition = edition_for_sending(
            app, segment.name, edition_date, stored, actor="dry-run", store=False, check=False
        )
    recipients = counts.recipients if counts else sum(g.count for g in groups)
    would_send, reason = _verdict(edition, stored is None, counts, recipients)
    blocked = approval_blocks(segment, edition)
    if would_send and blocked:
        would_send, reason = False, blocked
    subjects: dict[str, str] = {}
    if edition.items:
        for locale in sorted({g.locale for g in groups} or {segment.locale}):
            rendered = render_variant(app, edition, locale)
            gate_variant(rendered, app.config)
            subjects[locale] = rendered.subject
    return DryRunReport(
        segment=segment.name,
        edition_date=edition_date.isoformat(),
        edition_status=str(stored.status) if stored else "none",
        would_send=would_send,
        reason=reason,
        recipients=recipients,
        suppressed=counts.suppressed if counts else max(0, members - recipients),
        groups=tuple(GroupCount(g.locale, g.timezone, g.count) for g in groups),
        subjects=subjects,
        articles=len(edition.items),
        transport=app.config.transport.kind,
        ledger={k: v for k, v in counts.as_dict().items() if isinstance(v, int)}
        if counts
        else None,
    )


def _verdict(
    edition: Edition, draft_only: bool, counts: ledger.DeliveryCounts | None, recipients: int
) -> tuple[bool, str | None]:
    """Would a send go out now, and if not, why (pure)."""
    state = edition.status
    if state is S.SKIPPED:
        why = edition.skip_reason or "skipped"
        return False, f"the edition would be skipped: {why}" if draft_only else why
    if state is S.CANCELLED:
        return False, "the edition was cancelled"
    if state is S.HELD:
        return False, "the edition is held: it must be approved first"
    if counts is not None and counts.pending == 0:
        return False, "the edition was already sent; nothing is pending"
    if recipients == 0:
        return False, "the segment has no recipients now"
    return True, None
