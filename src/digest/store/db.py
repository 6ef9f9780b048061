"""Engines and migrations: create an engine for a URL and bring its schema up to date."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")


def upsert_insert(conn: Connection, table: Any) -> Any:
    """INSERT for ``table`` with the connection's ON CONFLICT clauses (PostgreSQL or SQLite)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


class StoreError(Exception):
    """The database cannot be used (unreachable, bad URL, schema too old)."""


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and
# can simply run again
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
_CONFLICT_ATTEMPTS = 3


def retry_on_conflict(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in a transaction, again (up to 3 times) if it lost a deadlock race."""
    for attempt in range(1, _CONFLICT_ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state not in _RETRYABLE_SQLSTATES or attempt == _CONFLICT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# each sender thread holds a connection for the whole send (transport.concurrency is at most
# 64), next to the main thread's: room for all of them beyond the five kept open
_MAX_OVERFLOW = 70


def _sqlite_pool(url: str) -> dict[str, int]:
    """Pool options for SQLite: a file database gets a queue pool, memory one connection."""
    database = make_url(url).database
    if not database or database == ":memory:" or "mode=memory" in url:
        return {}
    return {"max_overflow": _MAX_OVERFLOW}


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    Errors never print their bound parameters (``hide_parameters``): they hold addresses,
    names and, in the settings table, the signing key.
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(
                url, connect_args={"timeout": 30}, hide_parameters=True, **_sqlite_pool(url)
            )

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            return engine
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        elif url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        return create_engine(
            url, pool_pre_ping=True, max_overflow=_MAX_OVERFLOW, hide_parameters=True
        )
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"database.url is not usable: {exc}") from None


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Create the schema or bring it up to the newest migration."""
    try:
        command.upgrade(alembic_config(engine), "heads")
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database: {exc.orig}") from None


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for a database without digest's schema)."""
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database: {exc.orig}") from None
    return ",".join(sorted(heads)) or None


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the newest migration."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    try:
        with engine.connect() as conn:
            heads = set(MigrationContext.configure(conn).get_current_heads())
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database: {exc.orig}") from None
    return heads == set(script.get_heads())
