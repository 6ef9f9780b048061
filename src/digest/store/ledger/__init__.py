"""The delivery ledger: one row per (edition, subscriber), grouped into claimable batches.

``plan``: the ledger is written once per edition (bulk INSERT … SELECT). ``claims``: senders
claim batches atomically, commit ``claimed``, then ``submitting`` right before the request.
``outcomes``: what the provider said, committed after it. ``recovery``: batches whose sender
stopped. ``counts``: where every recipient stands — the one place that reads the ledger.

Delivery states: pending, sent, failed, suppressed, unknown. Batch states: pending, claimed,
submitting, accepted, failed, unknown (``values.BatchState``). A delivery still ``pending``
in an ``accepted`` batch was sent: when the provider took every recipient of the batch that
was not settled otherwise, the batch's own row records it for all of them (one row written
per batch instead of a thousand). Recipients settled any other way carry their own status.

This package implements the sender's ``digest.send.ports.Ledger``.
"""

from digest.store.ledger.claims import (
    BatchStatements,
    SendRowTuple,
    claimable_locales,
    release_batch,
    renew_batch_lease,
    reopen_unknown_deliveries,
)
from digest.store.ledger.counts import delivery_counts, next_due_time, open_batch_count
from digest.store.ledger.outcomes import (
    mark_deliveries_suppressed,
    record_batch_outcome,
    set_delivery_status,
)
from digest.store.ledger.plan import (
    is_planned,
    lock_edition,
    plan_deliveries,
    plan_groups,
)
from digest.store.ledger.recovery import Settle, abandoned_batches, recover_abandoned_batches
from digest.store.ledger.values import (
    CLAIMABLE,
    CLAIMABLE_RETRY_UNKNOWN,
    OPEN,
    OWNED,
    BatchState,
    ClaimedBatch,
    DeliveryCounts,
    DeliveryState,
    LedgerError,
    PlanGroup,
    PlannedBatch,
)

__all__ = [
    "CLAIMABLE",
    "CLAIMABLE_RETRY_UNKNOWN",
    "OPEN",
    "OWNED",
    "BatchState",
    "BatchStatements",
    "ClaimedBatch",
    "DeliveryCounts",
    "DeliveryState",
    "LedgerError",
    "PlanGroup",
    "PlannedBatch",
    "SendRowTuple",
    "abandoned_batches",
    "Settle",
    "claimable_locales",
    "delivery_counts",
    "is_planned",
    "lock_edition",
    "mark_deliveries_suppressed",
    "next_due_time",
    "open_batch_count",
    "plan_deliveries",
    "plan_groups",
    "record_batch_outcome",
    "recover_abandoned_batches",
    "release_batch",
    "renew_batch_lease",
    "reopen_unknown_deliveries",
    "set_delivery_status",
]
