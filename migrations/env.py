"""Alembic environment: applies ``migrations/versions`` to SQLite or PostgreSQL.

Online runs use the same async drivers as the application (aiosqlite, asyncpg) through
``create_migration_engine``; offline runs (``alembic upgrade head --sql``) print the DDL.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from omnigraph.db.engine import create_migration_engine
from omnigraph.db.models import Base
from omnigraph.settings import Settings

config = context.config

# omnigraph.db.migrate runs Alembic inside the application, whose logging is already set up;
# only a bare ``alembic`` command line should configure logging from alembic.ini.
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    """The caller's URL, else ``sqlalchemy.url`` from the ini, else ``OMNIGRAPH_DATABASE_URL``."""
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return url or Settings.from_env().database_url


def configure_options(is_sqlite: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "compare_type": True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": is_sqlite,
    }
    if is_sqlite:
        # SQLite does roll back DDL; telling Alembic so makes one upgrade one transaction, as on
        # PostgreSQL, instead of one commit per revision.
        options["transactional_ddl"] = True
    return options


def check_sqlite_foreign_keys(
    *, ctx: MigrationContext, step: MigrationInfo, heads: set[str], run_args: dict[str, Any]
) -> None:
    """Fail a revision whose batch rebuild left rows pointing at nothing.

    Foreign keys are not enforced while migrating (see ``use_sqlite_migration_mode``), so
    they are checked after each revision, still inside its transaction.
    """
    assert ctx.connection is not None
    orphans = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if orphans:
        found = ", ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in orphans[:10])
        raise RuntimeError(f"revision {step.up_revision_id} broke foreign keys: {found}")


def use_sqlite_migration_mode(engine: AsyncEngine) -> None:
    """Make SQLite migrations atomic and safe for batch table rebuilds.

    The sqlite3 driver does not BEGIN before DDL, so a failing revision would leave half its
    tables behind; taking over BEGIN makes DDL transactional. Foreign keys are switched off
    for the migration connection (the pragma is ignored inside a transaction, hence on
    connect) because a batch rebuild drops the old table, and with enforcement on that DROP
    would run ON DELETE CASCADE and delete every child row.
    """

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()

    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)


def run_migrations_offline() -> None:
    """Write the SQL for the requested revisions to standard output."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(make_url(url).get_backend_name() == "sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    options = configure_options(is_sqlite)
    if is_sqlite:
        options["on_version_apply"] = check_sqlite_foreign_keys
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_migration_engine(database_url())
    if engine.dialect.name == "sqlite":
        use_sqlite_migration_mode(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    # Needs a thread without a running event loop: omnigraph.db.migrate provides one.
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
