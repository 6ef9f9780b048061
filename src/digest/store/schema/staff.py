"""Desk tables: staff accounts, their signed-in sessions, failed sign-ins and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from digest.store.schema.base import Base, BigId, UTCDateTime


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
