"""Operations tables: scheduler decisions, settings, provider events and the figures kept for
monitoring (alerts, provider answers, audiences, engagement, ledger summaries), rate limits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from digest.store.schema.base import Base, BigId, UTCDateTime


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


class SettingRow(Base):
    """Small persistent settings (for example the generated token-signing key)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


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
