"""Persistence: tables, migrations and query-named functions over a SQLAlchemy Connection."""
