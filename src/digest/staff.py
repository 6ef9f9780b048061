"""Use cases for staff accounts: add, list, remove, change a role or a password.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile); the hash keeps its own parameters, so stronger settings later rehash on sign-in.
Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from digest.addresses import InvalidAddress, normalise_address
from digest.app import App
from digest.audit import AuditAction, record_action
from digest.store.staff import (
    StaffRecord,
    all_staff,
    delete_sessions_of,
    delete_staff,
    insert_staff,
    staff_by_email,
    update_staff,
)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320


class Role(StrEnum):
    """What a member of staff may do. Admin passes every role check."""

    EDITOR = "editor"  # preview, adjust, approve and test-send editions
    OPS = "ops"  # sends and subscribers (the ops console)
    ADMIN = "admin"  # everything, and staff accounts


class StaffError(Exception):
    """A staff account cannot be changed or used as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A member of staff (never with the password hash)."""

    email: str
    role: Role
    created_at: datetime
    updated_at: datetime


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """The argon2id hasher (one per process; it holds only parameters)."""
    return PasswordHasher()


def parse_role(value: str) -> Role:
    """The Role named ``value``; StaffError listing the roles otherwise."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise StaffError(f"unknown role {value!r}; choose one of: {choices}") from None


def normalise_staff_email(raw: str) -> str:
    """The address in its one spelling (digest.addresses); StaffError if it is not usable."""
    try:
        return normalise_address(raw)
    except InvalidAddress as exc:
        raise StaffError(f"not an email address: {raw!r} ({exc.reason})") from None


def check_password(password: str, email: str) -> None:
    """StaffError when the password is too weak to protect a staff account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")
    if not password.strip():
        raise StaffError("the password must not be only spaces")
    if password.strip().lower() in (email.lower(), email.split("@")[0].lower()):
        raise StaffError("the password must not be the email address")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with a fresh salt."""
    return hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """True when ``password`` is the one hashed in ``password_hash``."""
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def staff_user(record: StaffRecord) -> StaffUser:
    """The public view of a stored account; StaffError if its role is not one we know."""
    try:
        role = Role(record.role)
    except ValueError:
        raise StaffError(f"{record.email} has an unknown role {record.role!r}") from None
    return StaffUser(
        email=record.email, role=role, created_at=record.created_at, updated_at=record.updated_at
    )


def add_user(app: App, email: str, role: Role, password: str, *, actor: str) -> StaffUser:
    """Create an account; StaffError for a bad address or password, or an existing account."""
    address = normalise_staff_email(email)
    check_password(password, address)
    password_hash = hash_password(password)
    now = app.clock()
    try:
        with app.engine.begin() as conn:
            if staff_by_email(conn, address) is not None:
                raise StaffError(f"{address} already has an account")
            insert_staff(conn, address, role.value, password_hash, now)
            record_action(
                conn,
                actor=actor,
                action=AuditAction.USER_ADDED,
                now=now,
                target=address,
                after={"role": role.value},
            )
            record = staff_by_email(conn, address)
    except IntegrityError:  # another process added it between our check and our insert
        raise StaffError(f"{address} already has an account") from None
    assert record is not None
    return staff_user(record)


def list_users(app: App) -> list[StaffUser]:
    """Every account, by address."""
    with app.engine.connect() as conn:
        return [staff_user(r) for r in all_staff(conn)]


def _existing(conn: Connection, address: str) -> StaffRecord:
    record = staff_by_email(conn, address)
    if record is None:
        raise StaffError(f"no staff account for {address}")
    return record


def remove_user(app: App, email: str, *, actor: str) -> None:
    """Delete an account and end its sessions; StaffError if there is none."""
    address = normalise_staff_email(email)
    with app.engine.begin() as conn:
        record = _existing(conn, address)
        delete_staff(conn, address)
        record_action(
            conn,
            actor=actor,
            action=AuditAction.USER_REMOVED,
            now=app.clock(),
            target=address,
            before={"role": record.role},
        )


def set_role(app: App, email: str, role: Role, *, actor: str) -> StaffUser:
    """Give an account another role (it applies to the next request of every session)."""
    address = normalise_staff_email(email)
    now = app.clock()
    with app.engine.begin() as conn:
        record = _existing(conn, address)
        update_staff(conn, address, now, role=role.value)
        record_action(
            conn,
            actor=actor,
            action=AuditAction.ROLE_CHANGED,
            now=now,
            target=address,
            before={"role": record.role},
            after={"role": role.value},
        )
        updated = _existing(conn, address)
    return staff_user(updated)


def set_password(app: App, email: str, password: str, *, actor: str) -> int:
    """Give an account a new password and sign it out everywhere; the sessions ended."""
    address = normalise_staff_email(email)
    check_password(password, address)
    password_hash = hash_password(password)
    now = app.clock()
    with app.engine.begin() as conn:
        record = _existing(conn, address)
        update_staff(conn, address, now, password_hash=password_hash)
        ended = delete_sessions_of(conn, record.id)
        record_action(
            conn,
            actor=actor,
            action=AuditAction.PASSWORD_CHANGED,
            now=now,
            target=address,
            after={"sessions_ended": ended},
        )
    return ended
