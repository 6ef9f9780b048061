"""SQLAlchemy 2 declarative models: the tables and the invariants the database enforces.

The tables live in one module per concern: ``content`` (articles, feeds, editions),
``subscribers`` (subscribers, consents, suppressions, push subscriptions), ``ledger`` (the
send ledgers of every channel), ``staff`` (the desk's accounts and audit log) and ``ops``
(scheduler runs, settings, provider events, monitoring figures, rate limits). This package
gathers them, so ``from digest.store.schema import X`` and ``metadata`` (every table, for
Alembic) work as before.

Queries live in the query-named modules of ``digest.store``; stages never see these classes.
Every schema change comes with an Alembic migration in ``migrations/versions``; a test
checks that the migrations produce exactly these tables.
"""

from __future__ import annotations

from digest.store.schema.base import Base, BigId, UTCDateTime, table_of
from digest.store.schema.content import (
    ArticleRow,
    EditionHistoryRow,
    EditionItemRow,
    EditionOverrideRow,
    EditionRow,
    FeedStateRow,
)
from digest.store.schema.ledger import (
    ApprisePostRow,
    ChannelPlanRow,
    DeliveryRow,
    PushDeliveryRow,
    SendBatchRow,
    SendPlanRow,
)
from digest.store.schema.ops import (
    AlertRow,
    AudienceSnapshotRow,
    EngagementCountRow,
    EngagementRecipientRow,
    LedgerSummaryRow,
    ProviderAnswerRow,
    ProviderEventRow,
    RateLimitRow,
    ScheduleRunRow,
    SettingRow,
)
from digest.store.schema.staff import (
    AuditRow,
    SignInFailureRow,
    StaffSessionRow,
    StaffUserRow,
)
from digest.store.schema.subscribers import (
    ConsentRow,
    PushSubscriptionRow,
    PushSubscriptionSegmentRow,
    SubscriberRow,
    SubscriberSegmentRow,
    SuppressionRow,
)

metadata = Base.metadata

__all__ = [
    "AlertRow",
    "ApprisePostRow",
    "ArticleRow",
    "AudienceSnapshotRow",
    "AuditRow",
    "Base",
    "BigId",
    "ChannelPlanRow",
    "ConsentRow",
    "DeliveryRow",
    "EditionHistoryRow",
    "EditionItemRow",
    "EditionOverrideRow",
    "EditionRow",
    "EngagementCountRow",
    "EngagementRecipientRow",
    "FeedStateRow",
    "LedgerSummaryRow",
    "ProviderAnswerRow",
    "ProviderEventRow",
    "PushDeliveryRow",
    "PushSubscriptionRow",
    "PushSubscriptionSegmentRow",
    "RateLimitRow",
    "ScheduleRunRow",
    "SendBatchRow",
    "SendPlanRow",
    "SettingRow",
    "SignInFailureRow",
    "StaffSessionRow",
    "StaffUserRow",
    "SubscriberRow",
    "SubscriberSegmentRow",
    "SuppressionRow",
    "UTCDateTime",
    "metadata",
    "table_of",
]
