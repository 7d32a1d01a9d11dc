"""Alembic environment for the Kernelwright store.

`Store.upgrade()` runs Alembic programmatically and hands over its open connection in
`config.attributes["connection"]`; without one (the `alembic` command line driven from
`db.engine.alembic_config(url)`), the `sqlalchemy.url` option is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kernelwright.db.engine import make_engine
from kernelwright.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    """Emit the migration SQL for `sqlalchemy.url` without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the handed-over connection, or on a fresh one to `sqlalchemy.url`."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        # Joins the caller's transaction when one is open, so the caller decides when to commit.
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no connection in config.attributes and no sqlalchemy.url: build the config with "
            "db.engine.alembic_config(url)"
        )
    engine = make_engine(url)
    try:
        with engine.connect() as fresh:
            _configure(fresh)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
