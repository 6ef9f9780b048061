"""Content tables: the articles read from the sources, each source's fetch state, and the
editions built from them (their items, the editors' overrides and the history of their state).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from digest.store.schema.base import Base, BigId, UTCDateTime


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
