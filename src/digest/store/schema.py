"""SQLAlchemy 2 declarative models: the tables and the invariants the database enforces.

Queries live in the query-named modules beside this one (``articles.py``, ``subscribers.py``,
``editions.py``, ``deliveries.py``, ``subscriptions.py``); stages never see these classes.
Every schema change comes with an Alembic migration in ``migrations/versions``; a test
checks that the migrations produce exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime  # noqa: F401
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# A 64-bit id on PostgreSQL; SQLite only auto-increments a column typed plain INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(512), unique=True)
    source: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(300))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    image_url: Mapped[str | None] = mapped_column(Text)
    read_minutes: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedStateRow(Base):
    """Per-source fetch state: validators for conditional GET and the last outcome."""

    __tablename__ = "feed_state"
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    # every fetch and every failed one since the source was first fetched (ops metrics)
    fetch_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class SubscriberRow(Base):
    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(300), default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending (awaiting double opt-in) | active | unsubscribed | bounced | complained
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriberSegmentRow(Base):
    """A subscriber's opt-in to one segment."""

    __tablename__ = "subscriber_segments"
    subscriber_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    segment: Mapped[str] = mapped_column(String(100), primary_key=True)
    __table_args__ = (Index("ix_subscriber_segments_segment", "segment", "subscriber_id"),)


class EditionRow(Base):
    __tablename__ = "editions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    segment: Mapped[str] = mapped_column(String(100))
    edition_date: Mapped[date] = mapped_column(Date)
    # a digest.lifecycle.EditionState, changed only by digest.lifecycle's transitions
    status: Mapped[str] = mapped_column(String(20), default="draft")
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(Text, default="")
    editor_note: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
    delivered_count: Mapped[int] = mapped_column(Integer, default=0)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    click_count: Mapped[int] = mapped_column(Integer, default=0)
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    # the editors' desk: a subject written by an editor (None: the automatic one), a counter
    # of edits for the "changed by X at T; reload" check, and the approval's frozen content
    subject_override: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_by: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(400))
    approved_hash: Mapped[str | None] = mapped_column(String(64))
    approved_content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (UniqueConstraint("segment", "edition_date", name="uq_edition_segment_date"),)


class EditionHistoryRow(Base):
    """Append-only: each change of an edition's state, who made it, when and why."""

    __tablename__ = "edition_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    edition_id: Mapped[int] = mapped_column(BigId, ForeignKey("editions.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_edition_history_edition", "edition_id", "id"),)


class EditionOverrideRow(Base):
    """An editor's choice about one article of an edition: pinned at a position, or excluded.

    The automatic selection is re-ranked until approval; these choices are kept across it.
    """

    __tablename__ = "edition_overrides"
    edition_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(BigId, ForeignKey("articles.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # pin | exclude
    position: Mapped[int | None] = mapped_column(Integer)  # a pin's place, 0 = the lead
    by: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class EditionItemRow(Base):
    """An article in an edition; editor overrides are pinned/removed flags and a position."""

    __tablename__ = "edition_items"
    edition_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(BigId, ForeignKey("articles.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_topic: Mapped[str | None] = mapped_column(String(100))
    pinned: Mapped[bool] = mapped_column(default=False)
    removed: Mapped[bool] = mapped_column(default=False)


class SendBatchRow(Base):
    """A batch of recipients handed to the transport in one request.

    State is committed before the request (``submitting``) and after it (``accepted`` or
    ``failed``); a batch left in ``submitting`` by a dead process is ``unknown`` to ops.
    """

    __tablename__ = "send_batches"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    edition_id: Mapped[int] = mapped_column(BigId, ForeignKey("editions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(16))
    # pending | submitting | accepted | failed | unknown
    status: Mapped[str] = mapped_column(String(20), default="pending")
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the subscribers' timezone when the segment delivers at each subscriber's local time
    timezone: Mapped[str | None] = mapped_column(String(64))
    # a batch in ``submitting`` whose lease has run out belongs to a worker that stopped
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("edition_id", "seq", name="uq_batch_edition_seq"),
        # claims take the due batch with the fewest attempts, then the lowest seq
        Index("ix_send_batches_claim_order", "edition_id", "status", "attempts", "seq"),
    )


class DeliveryRow(Base):
    """The ledger: one row per (edition, subscriber), never two."""

    __tablename__ = "deliveries"
    # no foreign key: PostgreSQL would check it once per row written, and deliveries are
    # only written for an edition the planner holds locked (editions are never deleted)
    edition_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_seq: Mapped[int] = mapped_column(Integer)  # send_batches.seq of the same edition
    # pending | sent | failed | suppressed | unknown (a pending row in a submitting batch is
    # in flight, in an accepted batch sent, in an unknown batch unknown)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_deliveries_edition_batch", "edition_id", "batch_seq"),)


class SendPlanRow(Base):
    """Marks an edition's ledger as planned: deliveries and batches are written exactly once."""

    __tablename__ = "send_plans"
    edition_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_by: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[int] = mapped_column(Integer)
    batches: Mapped[int] = mapped_column(Integer)
    batch_size: Mapped[int] = mapped_column(Integer)
    local_time: Mapped[bool] = mapped_column(default=False)


class ConsentRow(Base):
    """Proof of consent and of its withdrawal: who, when, from where, under which wording."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(30))  # subscribe | confirm | unsubscribe | ...
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(100))  # web-form | csv-import | one-click | cli
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    wording_version: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SuppressionRow(Base):
    """An address that must not be mailed, and why."""

    __tablename__ = "suppressions"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(String(50))  # unsubscribe | bounce | spamreport | manual
    source: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProviderEventRow(Base):
    """A provider webhook event, stored once (deduplicated by the provider's event id)."""

    __tablename__ = "provider_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
    edition_id: Mapped[int | None] = mapped_column(BigId)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (
        UniqueConstraint("provider", "event_id", name="uq_provider_event"),
        # the engagement counts are rebuilt from an edition's events (digest engagement recount)
        Index("ix_provider_events_edition", "edition_id", "event"),
    )


class ScheduleRunRow(Base):
    """What the scheduler decided for a segment's due time: sent, skipped (with why), missed."""

    __tablename__ = "schedule_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    segment: Mapped[str] = mapped_column(String(100))
    edition_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(30))  # sent | skipped | missed | failed
    reason: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (Index("ix_schedule_runs_segment_date", "segment", "edition_date"),)


class StaffUserRow(Base):
    """A member of staff who signs in to the desk: editor, ops or admin."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, with its parameters
    role: Mapped[str] = mapped_column(String(20))  # editor | ops | admin (staff.Role)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffSessionRow(Base):
    """A signed-in browser: only the token's hash is kept, so a leaked table signs nobody in."""

    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute limit
    client: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)


class SignInFailureRow(Base):
    """A failed sign-in, counted per address and per client to slow password guessing."""

    __tablename__ = "staff_signin_failures"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_signin_failures_email_at", "email", "at"),
        Index("ix_signin_failures_client_at", "client", "at"),
    )


class AuditRow(Base):
    """One staff action: who, what, when, on which edition, and the value before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(400))  # web:<email> | cli:<os user> | scheduler
    action: Mapped[str] = mapped_column(String(40))  # audit.AuditAction
    segment: Mapped[str | None] = mapped_column(String(100))
    edition_date: Mapped[date | None] = mapped_column(Date)
    edition_id: Mapped[int | None] = mapped_column(BigId)  # editions are never deleted
    target: Mapped[str | None] = mapped_column(Text)  # an article URL, a user's address …
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    client: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_log_edition", "segment", "edition_date"),)


class SettingRow(Base):
    """Small persistent settings (for example the generated token-signing key)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ---- Web Push and channel posts (issue #13) ----------------------------------------------


class PushSubscriptionRow(Base):
    """A browser's push subscription: where to post and the keys to encrypt for."""

    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(Text)
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of endpoint
    p256dh: Mapped[str] = mapped_column(String(100))  # URL-safe base64, 65-byte P-256 point
    auth: Mapped[str] = mapped_column(String(40))  # URL-safe base64, 16 bytes
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # the email subscriber who turned notifications on from the preference centre
    subscriber_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushSubscriptionSegmentRow(Base):
    """A push subscription's opt-in to one segment."""

    __tablename__ = "push_subscription_segments"
    subscription_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("push_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    segment: Mapped[str] = mapped_column(String(100), primary_key=True)
    __table_args__ = (Index("ix_push_subscription_segments_segment", "segment", "subscription_id"),)


class ChannelPlanRow(Base):
    """Marks an edition's ledger for one channel as planned (written exactly once)."""

    __tablename__ = "channel_plans"
    edition_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_by: Mapped[str] = mapped_column(String(200))
    targets: Mapped[int] = mapped_column(Integer)


class PushDeliveryRow(Base):
    """The Web Push ledger: one row per (edition, subscription), never two.

    pending → claimed → posting → sent | gone (404/410, subscription deleted) | failed;
    a claimed row of a dead worker goes back to pending, a posting one becomes unknown.
    """

    __tablename__ = "push_deliveries"
    edition_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # no foreign key: the subscription is deleted on 404/410 and its ledger row stays
    subscription_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_push_deliveries_claim", "edition_id", "status", "not_before"),)


class ApprisePostRow(Base):
    """The channel-post ledger: one row per (edition, Apprise URL), never two."""

    __tablename__ = "apprise_posts"
    edition_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the template
    label: Mapped[str] = mapped_column(Text)  # the URL with secrets masked
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# -- ops console and monitoring (issue #12) ---------------------------------------------------


class AlertRow(Base):
    """An event ops must hear about (held, missed, failed, outage): recorded once, posted once."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # what makes it one event
    kind: Mapped[str] = mapped_column(String(20))  # held | missed | failed | outage
    segment: Mapped[str | None] = mapped_column(String(100))
    edition_date: Mapped[date | None] = mapped_column(Date)
    edition_id: Mapped[int | None] = mapped_column(BigId)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # unposted | posting | posted | failed (tried, will be tried again) | abandoned
    post_state: Mapped[str] = mapped_column(String(20), default="unposted")
    post_attempts: Mapped[int] = mapped_column(Integer, default=0)
    post_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_error: Mapped[str | None] = mapped_column(Text)
    # fingerprints of the channels that took it: a retry posts only to the others
    posted_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))


class ProviderAnswerRow(Base):
    """How often the provider answered each status code, per edition and transport."""

    __tablename__ = "provider_answers"
    edition_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transport: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AudienceSnapshotRow(Base):
    """A segment's audience on one day: opted-in subscribers and who would be sent now."""

    __tablename__ = "audience_snapshots"
    segment: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    subscribers: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EngagementCountRow(Base):
    """Provider events applied, per edition, kind and hour (the hour they happened).

    Kept up to date in the transaction that stores each event, so engagement figures and
    charts never re-count the (large) events table. ``recipients`` counts each address once
    per edition and kind: the first open of a reader, not every open. Events that name no
    edition are counted under edition 0.
    """

    __tablename__ = "engagement_counts"
    edition_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event: Mapped[str] = mapped_column(String(50), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    recipients: Mapped[int] = mapped_column(BigInteger, default=0)


class EngagementRecipientRow(Base):
    """Who opened or clicked an edition at least once (unique opens and clicks)."""

    __tablename__ = "engagement_recipients"
    edition_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event: Mapped[str] = mapped_column(String(50), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)


class LedgerSummaryRow(Base):
    """A finished edition's ledger counts, kept so scrapes need not re-count a million rows.

    Valid while the edition's status and finish time are those recorded here; a reopened
    edition is counted afresh.
    """

    __tablename__ = "ledger_summaries"
    edition_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateLimitRow(Base):
    """One rate-limit window: hits of a (hashed) key in a scope since ``window_start``.

    Kept in the database so that every web worker and host counts the same hits.
    """

    __tablename__ = "rate_limits"
    scope: Mapped[str] = mapped_column(String(30), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the client key
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


metadata = Base.metadata
