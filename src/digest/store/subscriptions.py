"""Subscription queries, gathered: double opt-in, consent records, preference changes,
unsubscribes and suppressions.

The queries live in one module per concern: ``store/confirmations.py`` (pending subscribers
and their confirmation), ``store/preferences.py`` (segment opt-ins, preferences, pauses,
unsubscribes, resubscribes), ``store/consents.py`` (consent evidence) and
``store/suppressions.py`` (addresses not to be mailed). This module keeps
``from digest.store.subscriptions import X`` working for every one of them.
"""

from __future__ import annotations

from digest.store.confirmations import (
    SubscriptionRequest,
    confirm_subscriber,
    create_pending_subscriber,
    update_pending_subscriber,
)
from digest.store.consents import (
    ConsentRecord,
    Evidence,
    consent_by_id,
    consents_for_subscriber,
    count_recent_consents,
    latest_consent,
    record_consent,
)
from digest.store.preferences import (
    replace_segments,
    resubscribe_subscriber,
    segments_of,
    set_pause,
    unsubscribe_subscriber,
    update_preferences,
)
from digest.store.subscribers import (
    subscriber_id_for_email,
)
from digest.store.suppressions import (
    SUPPRESSION_REASONS,
    SUPPRESSION_SEVERITY,
    Suppression,
    add_suppression,
    count_suppressions,
    list_suppressions,
    remove_suppression,
    set_subscriber_status_by_email,
    suppression_for,
)

__all__ = [
    "ConsentRecord",
    "Evidence",
    "SUPPRESSION_REASONS",
    "SUPPRESSION_SEVERITY",
    "SubscriptionRequest",
    "Suppression",
    "add_suppression",
    "confirm_subscriber",
    "consent_by_id",
    "consents_for_subscriber",
    "count_recent_consents",
    "count_suppressions",
    "create_pending_subscriber",
    "latest_consent",
    "list_suppressions",
    "record_consent",
    "remove_suppression",
    "replace_segments",
    "resubscribe_subscriber",
    "segments_of",
    "set_pause",
    "set_subscriber_status_by_email",
    "subscriber_id_for_email",
    "suppression_for",
    "unsubscribe_subscriber",
    "update_pending_subscriber",
    "update_preferences",
]
