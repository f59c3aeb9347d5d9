"""Alembic environment: the connection is handed in by docsvc.db.migrate, never read from a
config file, so one code path migrates SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import docsvc.models  # noqa: F401  (registers every table on the metadata)
from docsvc.db.base import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through docsvc.db.migrate, which passes a connection")
run_migrations(connection)
