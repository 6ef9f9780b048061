"""Alembic environment: runs migrations on the engine digest hands it (no URL in a file)."""

from alembic import context

from digest.store.schema import metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
