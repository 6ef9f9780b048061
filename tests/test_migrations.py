"""Migrations produce exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from digest.store.db import is_current, make_engine, upgrade
from digest.store.schema import metadata

# Tables owned by libraries, not by our models.
FOREIGN_TABLES = {"apscheduler_jobs", "alembic_version"}


def test_migrations_match_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert not is_current(engine)
        upgrade(engine)
        upgrade(engine)  # idempotent
        assert is_current(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [
                d
                for d in compare_metadata(ctx, metadata)
                if not (d[0] == "remove_table" and d[1].name in FOREIGN_TABLES)
                and not (d[0] == "remove_index" and d[1].table.name in FOREIGN_TABLES)
            ]
        assert diff == []
        tables = set(inspect(engine).get_table_names())
        assert {"articles", "subscribers", "editions", "deliveries", "send_batches"} <= tables
    finally:
        engine.dispose()
