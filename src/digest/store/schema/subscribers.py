"""Audience tables: email subscribers and their segments, the consent evidence kept for them,
suppressed addresses, and browsers subscribed to Web Push with their segments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from digest.store.schema.base import Base, BigId, UTCDateTime


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
