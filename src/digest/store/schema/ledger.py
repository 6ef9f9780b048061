"""Ledger tables: who each edition goes to and how far it got, per channel.

Email has batches, deliveries and a plan marker; Web Push and Apprise posts have their own
ledgers and share the per-channel plan marker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from digest.store.schema.base import Base, BigId, UTCDateTime


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
