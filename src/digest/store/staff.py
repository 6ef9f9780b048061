"""Staff queries: accounts, server-side sign-in sessions and the failed sign-ins counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update

from digest.store.schema import SignInFailureRow, StaffSessionRow, StaffUserRow, table_of


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A staff account as stored (the password hash included: it never leaves the use case)."""

    id: int
    email: str
    role: str
    password_hash: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A stored session joined with its account."""

    token_hash: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user: StaffRecord


def _record(row: Any) -> StaffRecord:
    return StaffRecord(
        id=row.id,
        email=row.email,
        role=row.role,
        password_hash=row.password_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def staff_by_email(conn: Connection, email: str) -> StaffRecord | None:
    """The account with this (lower-cased) address, if any."""
    row = conn.execute(select(StaffUserRow).where(StaffUserRow.email == email)).one_or_none()
    return _record(row) if row is not None else None


def all_staff(conn: Connection) -> list[StaffRecord]:
    """Every account, by address."""
    rows = conn.execute(select(StaffUserRow).order_by(StaffUserRow.email)).all()
    return [_record(r) for r in rows]


def count_staff_with_role(conn: Connection, role: str) -> int:
    """How many accounts hold ``role``."""
    return int(
        conn.execute(
            select(func.count()).select_from(StaffUserRow).where(StaffUserRow.role == role)
        ).scalar_one()
    )


def insert_staff(conn: Connection, email: str, role: str, password_hash: str, now: datetime) -> int:
    """Add an account; the unique address makes a second insert fail (IntegrityError)."""
    result = conn.execute(
        table_of(StaffUserRow)
        .insert()
        .values(email=email, role=role, password_hash=password_hash, created_at=now, updated_at=now)
        .returning(StaffUserRow.id)
    )
    return int(result.scalar_one())


def delete_staff(conn: Connection, email: str) -> bool:
    """Remove the account (its sessions go with it); True if there was one."""
    user_id = conn.execute(
        select(StaffUserRow.id).where(StaffUserRow.email == email)
    ).scalar_one_or_none()
    if user_id is None:
        return False
    conn.execute(delete(StaffSessionRow).where(StaffSessionRow.user_id == user_id))
    conn.execute(delete(StaffUserRow).where(StaffUserRow.id == user_id))
    return True


def update_staff(
    conn: Connection,
    email: str,
    now: datetime,
    *,
    role: str | None = None,
    password_hash: str | None = None,
) -> bool:
    """Change an account's role and/or password hash; True if the account exists."""
    values: dict[str, object] = {"updated_at": now}
    if role is not None:
        values["role"] = role
    if password_hash is not None:
        values["password_hash"] = password_hash
    result = conn.execute(update(StaffUserRow).where(StaffUserRow.email == email).values(**values))
    return result.rowcount == 1


def delete_sessions_of(conn: Connection, user_id: int) -> int:
    """End every session of an account (after a role or password change); how many."""
    return conn.execute(delete(StaffSessionRow).where(StaffSessionRow.user_id == user_id)).rowcount


def insert_session(
    conn: Connection,
    *,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
    client: str | None,
    user_agent: str | None,
) -> None:
    """Store a new session."""
    conn.execute(
        table_of(StaffSessionRow)
        .insert()
        .values(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            client=client,
            user_agent=user_agent,
        )
    )


def session_by_hash(conn: Connection, token_hash: str) -> SessionRecord | None:
    """The session with this token hash and its account, if both exist."""
    s, u = StaffSessionRow, StaffUserRow
    row = conn.execute(
        select(
            s.token_hash,
            s.csrf_token,
            s.created_at.label("session_created_at"),
            s.last_seen_at,
            s.expires_at,
            u.id,
            u.email,
            u.role,
            u.password_hash,
            u.created_at,
            u.updated_at,
        )
        .join(u, u.id == s.user_id)
        .where(s.token_hash == token_hash)
    ).one_or_none()
    if row is None:
        return None
    return SessionRecord(
        token_hash=row.token_hash,
        csrf_token=row.csrf_token,
        created_at=row.session_created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        user=_record(row),
    )


def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    """Record that the session was used at ``now`` (it pushes the idle expiry on)."""
    conn.execute(
        update(StaffSessionRow)
        .where(StaffSessionRow.token_hash == token_hash)
        .values(last_seen_at=now)
    )


def delete_session(conn: Connection, token_hash: str) -> bool:
    """End one session; True if it existed."""
    result = conn.execute(delete(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash))
    return result.rowcount == 1


def delete_expired_sessions(conn: Connection, now: datetime, idle_since: datetime) -> int:
    """Drop sessions past their absolute expiry or idle since before ``idle_since``."""
    return conn.execute(
        delete(StaffSessionRow).where(
            or_(StaffSessionRow.expires_at <= now, StaffSessionRow.last_seen_at < idle_since)
        )
    ).rowcount


def count_failures(
    conn: Connection, since: datetime, *, email: str | None = None, client: str | None = None
) -> int:
    """Failed sign-ins since ``since`` for the address or for the client."""
    stmt = select(func.count()).select_from(SignInFailureRow).where(SignInFailureRow.at > since)
    if email is not None:
        stmt = stmt.where(SignInFailureRow.email == email)
    if client is not None:
        stmt = stmt.where(SignInFailureRow.client == client)
    return int(conn.execute(stmt).scalar_one())


def oldest_failure(
    conn: Connection, since: datetime, *, email: str | None = None, client: str | None = None
) -> datetime | None:
    """The earliest failed sign-in still counted (when the window frees a slot)."""
    stmt = select(func.min(SignInFailureRow.at)).where(SignInFailureRow.at > since)
    if email is not None:
        stmt = stmt.where(SignInFailureRow.email == email)
    if client is not None:
        stmt = stmt.where(SignInFailureRow.client == client)
    return conn.execute(stmt).scalar_one_or_none()


def record_failure(conn: Connection, email: str, client: str, now: datetime) -> None:
    """Count one failed sign-in."""
    conn.execute(table_of(SignInFailureRow).insert().values(email=email, client=client, at=now))


def forget_failures(conn: Connection, before: datetime, *, email: str | None = None) -> int:
    """Drop failures older than ``before`` (or every failure of ``email``); how many."""
    stmt = delete(SignInFailureRow)
    if email is not None:
        stmt = stmt.where(SignInFailureRow.email == email)
    else:
        stmt = stmt.where(SignInFailureRow.at <= before)
    return conn.execute(stmt).rowcount
